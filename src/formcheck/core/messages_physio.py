"""Texts of the physio page's video analysis (upload, progress, the exercise choice, results, downloads), in
Dutch and English; merged into :data:`formcheck.core.messages.MESSAGES`, kept apart so that this feature's
texts read together.
"""

from __future__ import annotations

from formcheck.core.templates import Text

PHYSIO_MESSAGES: dict[str, Text] = {
    "page_physio": Text(nl="Video analyseren (fysiotherapeut)", en="Analyse a video (physio)"),
    "physio_title": Text(nl="Een video van de patiënt analyseren", en="Analyse a video of your patient"),
    "physio_intro": Text(
        nl="Upload een video van een oefening of van tillen, het liefst van opzij gefilmd met de hele "
        "persoon in beeld. De analyse draait op deze computer: de video gaat nergens heen.",
        en="Upload a video of an exercise or of lifting, preferably filmed from the side with the whole "
        "person in view. The analysis runs on this computer: the video goes nowhere.",
    ),
    "physio_private": Text(
        nl="De video en de resultaten staan in een tijdelijke map en worden gewist zodra je deze pagina "
        "sluit. Download wat je wilt bewaren.",
        en="The video and the results are kept in a temporary folder and deleted as soon as you close this "
        "page. Download what you want to keep.",
    ),
    "upload_label": Text(
        nl="Video (mp4, mov, webm of avi; hoogstens {mb} MB)",
        en="Video (mp4, mov, webm or avi; at most {mb} MB)",
    ),
    "upload_exercise": Text(nl="Welke oefening?", en="Which exercise?"),
    "upload_auto": Text(
        nl="Laat formcheck kiezen (aan de beweging)", en="Let formcheck choose (from the movement)"
    ),
    "upload_analyse": Text(nl="Analyseren", en="Analyse"),
    "upload_remove": Text(nl="Video en resultaten wissen", en="Delete the video and the results"),
    "upload_removed": Text(
        nl="De video en de resultaten zijn gewist.", en="The video and the results are deleted."
    ),
    "upload_starting": Text(nl="De analyse start …", en="Starting the analysis …"),
    "upload_progress_pose": Text(
        nl="Houding herkennen: beeld {done} van {total}", en="Finding the pose: frame {done} of {total}"
    ),
    "upload_progress_choose": Text(
        nl="Herhalingen tellen en beoordelen …", en="Counting and judging the reps …"
    ),
    "upload_progress_report": Text(nl="Het verslag maken …", en="Making the report …"),
    "upload_progress_draw": Text(
        nl="Video met de analyse maken: beeld {done} van {total}",
        en="Drawing the analysis on the video: frame {done} of {total}",
    ),
    "upload_done": Text(nl="Klaar.", en="Done."),
    "upload_too_big": Text(
        nl="Deze video is groter dan {mb} MB. Knip hem korter of film met een lagere resolutie.",
        en="This video is larger than {mb} MB. Trim it or film at a lower resolution.",
    ),
    "upload_not_video": Text(
        nl="Dit bestand is geen video die formcheck kan lezen (beschadigd, afgebroken of een onbekend "
        "formaat). Probeer een mp4-, mov-, webm- of avi-bestand.",
        en="This file is not a video formcheck can read (damaged, cut off or an unknown format). Try an mp4, "
        "mov, webm or avi file.",
    ),
    "upload_no_frames": Text(
        nl="In deze video kon geen enkel beeld worden gelezen (leeg of afgebroken bestand).",
        en="Not a single frame of this video could be read (an empty or cut-off file).",
    ),
    "upload_bad_exercise": Text(
        nl="Deze oefening kan niet worden geladen: {detail}", en="This exercise cannot be loaded: {detail}"
    ),
    "upload_failed": Text(
        nl="De analyse is onderweg gestopt: {detail}. Probeer het nog eens, eventueel met een kortere video.",
        en="The analysis stopped on the way: {detail}. Please try again, perhaps with a shorter video.",
    ),
    "upload_gone": Text(
        nl="De video staat niet meer op deze computer (de pagina was gesloten). Upload hem opnieuw.",
        en="The video is no longer on this computer (the page was closed). Please upload it again.",
    ),
    "upload_no_person": Text(
        nl="Er is in deze video niemand gevonden. Film de hele persoon van opzij, in goed licht.",
        en="No one was found in this video. Film the whole person from the side, in good light.",
    ),
    "choice_suggested": Text(
        nl="formcheck koos: {exercise}. Die beweging paste het best (herhalingen geteld: {reps}).",
        en="formcheck chose: {exercise}. That movement fitted best (reps counted: {reps}).",
    ),
    "choice_others": Text(
        nl="De andere oefeningen telden: {others}.", en="The other exercises counted: {others}."
    ),
    "choice_none": Text(
        nl="formcheck kon niet zien welke oefening dit is: geen enkele oefening telde een herhaling. Kies de "
        "oefening en analyseer opnieuw.",
        en="formcheck could not tell which exercise this is: no exercise counted a rep. Choose the exercise "
        "and analyse again.",
    ),
    "choice_unsure": Text(
        nl="formcheck twijfelt: meer dan één oefening past bij deze beweging (herhalingen: {options}). "
        "Kies de oefening en analyseer opnieuw; dat gaat nu snel.",
        en="formcheck is not sure: more than one exercise fits this movement (reps: {options}). Choose "
        "the exercise and analyse again; that is quick now.",
    ),
    "choice_physio": Text(
        nl="Geanalyseerd als: {exercise} (jouw keuze).", en="Analysed as: {exercise} (your choice)."
    ),
    "result_reps": Text(nl="Herhalingen", en="Reps"),
    "result_duration": Text(nl="Duur van de video", en="Video length"),
    "result_video": Text(nl="De video met de analyse", en="The video with the analysis"),
    "result_table": Text(nl="Per herhaling", en="Rep by rep"),
    "result_none": Text(
        nl="Er is geen herhaling geteld. Klopt de gekozen oefening, en is de hele beweging in beeld?",
        en="No rep was counted. Is the chosen exercise right, and is the whole movement in view?",
    ),
    "result_angles": Text(nl="Hoeken in de tijd", en="Angles over time"),
    "result_angles_note": Text(
        nl="Gekleurde vlakken: de herhalingen. Rode lijnen: een herhaling met een verbeterpunt (wijs aan "
        "voor de uitleg).",
        en="Shaded bands: the reps. Red lines: a rep with something to improve (point at it for the "
        "details).",
    ),
    "result_downloads": Text(nl="Downloaden", en="Download"),
    "download_json": Text(nl="Resultaten (result.json)", en="Results (result.json)"),
    "download_video": Text(nl="Video met de analyse (webm)", en="Video with the analysis (webm)"),
    "download_report": Text(nl="Verslag (HTML, om te printen)", en="Report (HTML, to print)"),
    "download_csv": Text(nl="Alle metingen per beeld (CSV)", en="Every measure per frame (CSV)"),
    "report_failed": Text(
        nl="Het verslag kon niet worden gemaakt: {detail}", en="The report could not be made: {detail}"
    ),
    "col_leg": Text(nl="Been", en="Leg"),
    "col_start": Text(nl="Begin (s)", en="Start (s)"),
    "col_end": Text(nl="Einde (s)", en="End (s)"),
    "col_experimental": Text(nl="Experimenteel (nog niet getoetst)", en="Experimental (not yet validated)"),
    "col_feature": Text(nl="Meting", en="Measure"),
    "col_value": Text(nl="Waarde", en="Value"),
    "unit_trunk_lengths": Text(nl="romplengtes", en="trunk lengths"),
    "unit_leg_lengths": Text(nl="beenlengtes", en="leg lengths"),
}
