"""The message catalogue: every fixed text formcheck shows or speaks, in Dutch and English.

Exercise-specific texts (titles, phase labels, fault cues) live in the exercise templates; everything else
is here, keyed by a stable code.
"""

from __future__ import annotations

from collections.abc import Mapping

from formcheck.core.messages_physio import PHYSIO_MESSAGES
from formcheck.core.messages_programme import PROGRAMME_MESSAGES
from formcheck.core.messages_teach import TEACH_MESSAGES
from formcheck.core.templates import Template, Text

MESSAGES: dict[str, Text] = {
    # set-up problems, checked live before counting starts
    "no_person": Text(
        nl="Ik zie niemand. Ga in beeld staan of liggen.",
        en="I can't see anyone. Move into view.",
    ),
    "body_not_visible": Text(
        nl="Je bent niet helemaal in beeld: zorg dat je van hoofd tot voeten te zien bent.",
        en="You are not fully in view: make sure you are visible from head to feet.",
    ),
    "turn_sideways": Text(
        nl="Draai een kwartslag: de camera moet je van opzij zien.",
        en="Turn a quarter: the camera should see you from the side.",
    ),
    "step_back": Text(
        nl="Ga wat verder van de camera af.",
        en="Move a bit further away from the camera.",
    ),
    "come_closer": Text(
        nl="Kom wat dichter bij de camera.",
        en="Come a bit closer to the camera.",
    ),
    "too_dark": Text(
        nl="Het is te donker. Doe meer licht aan.",
        en="It is too dark. Turn on more light.",
    ),
    "multiple_people": Text(
        nl="Er is meer dan één persoon in beeld. Zorg dat alleen jij te zien bent.",
        en="More than one person is in view. Make sure only you can be seen.",
    ),
    "ready": Text(nl="Klaar. Begin maar.", en="Ready. You can start."),
    # result summaries
    "no_person_in_video": Text(
        nl="Er is in deze video geen persoon gevonden.",
        en="No person was found in this video.",
    ),
    "multiple_people_in_video": Text(
        nl="Er was vaak meer dan één persoon in beeld; de analyse volgt één persoon en kan verspringen.",
        en="More than one person was often in view; the analysis follows one person and may switch.",
    ),
    "video_too_dark": Text(
        nl="De video is erg donker; de herkenning van de houding kan daardoor fouten maken.",
        en="The video is very dark, which can make the pose detection unreliable.",
    ),
    "video_truncated": Text(
        nl="Alleen {done} van de {total} beelden konden worden gelezen (is het bestand afgebroken?).",
        en="Only {done} of {total} frames could be decoded (is the file truncated?).",
    ),
    # ------------------------------------------------------------------ live coaching page (webapp)
    "app_title": Text(nl="formcheck · oefencoach", en="formcheck · exercise coach"),
    "app_tagline": Text(
        nl="Oefen thuis voor je rug, met je eigen camera. Alles blijft op deze computer.",
        en="Exercise for your back at home, with your own camera. Everything stays on this computer.",
    ),
    "language": Text(nl="Taal / Language", en="Language / Taal"),
    # page titles in the navigation (webapp/nav.py: PAGES)
    "page_coach": Text(nl="Oefenen", en="Exercise"),
    "page_history": Text(nl="Eerdere sessies", en="Earlier sessions"),
    "mute": Text(nl="Stem uit", en="Mute voice"),
    "no_voice": Text(
        nl="Deze browser heeft geen stem die zonder internet werkt; aanwijzingen staan alleen op het scherm.",
        en="This browser has no voice that works without the internet; cues are shown on screen only.",
    ),
    "mode": Text(nl="Wat wil je doen?", en="What would you like to do?"),
    "mode_coach": Text(nl="Oefenen", en="Exercise"),
    "mode_demo": Text(nl="Tildemonstratie (fysiotherapeut)", en="Lifting demonstration (physio)"),
    "exercise": Text(nl="Oefening", en="Exercise"),
    "model_setting": Text(nl="Rekenmodel", en="Pose model"),
    "model_auto": Text(nl="automatisch", en="automatic"),
    "model_fell_back": Text(
        nl="Deze computer is te traag voor het volledige model; het lichtere model wordt gebruikt.",
        en="This computer is too slow for the full model; the lighter model is used.",
    ),
    "live_stats": Text(
        nl="{fps:.0f} van {input_fps:.0f} beelden/s verwerkt · {dropped} overgeslagen · {latency:.0f} ms "
        "vertraging · model {model}",
        en="{fps:.0f} of {input_fps:.0f} frames/s processed · {dropped} skipped · {latency:.0f} ms delay · "
        "model {model}",
    ),
    "privacy": Text(
        nl="Privé: het camerabeeld blijft op deze computer, er gaat niets het internet op en er wordt niets "
        "opgenomen.",
        en="Private: the camera picture stays on this computer, nothing goes to the internet and nothing is "
        "recorded.",
    ),
    # safety screen
    "safety_title": Text(nl="Eerst je veiligheid", en="First, your safety"),
    "safety_intro": Text(
        nl="Geldt een van deze punten voor jou? Vink ze aan.",
        en="Does any of the following apply to you? Tick it.",
    ),
    "rf_radiating": Text(nl="Pijn die uitstraalt tot onder de knie", en="Pain that radiates below the knee"),
    "rf_numbness": Text(
        nl="Doof gevoel of tintelingen in been, voet, billen of rond de anus",
        en="Numbness or tingling in a leg, foot, the buttocks or around the anus",
    ),
    "rf_bladder": Text(
        nl="Moeite met plassen of ontlasting ophouden (controleverlies)",
        en="Loss of bladder or bowel control",
    ),
    "rf_fever": Text(nl="Koorts", en="Fever"),
    "rf_weight": Text(nl="Onverklaard gewichtsverlies", en="Unexplained weight loss"),
    "rf_accident": Text(
        nl="De pijn begon na een ongeval of val", en="The pain started after an accident or a fall"
    ),
    "rf_night": Text(nl="Pijn 's nachts waar je wakker van wordt", en="Pain at night that wakes you up"),
    "rf_duration": Text(
        nl="Pijn die langer dan 6 weken duurt of steeds erger wordt",
        en="Pain lasting more than 6 weeks, or getting worse",
    ),
    "safety_none": Text(nl="Geen van deze punten geldt voor mij", en="None of these apply to me"),
    "safety_continue": Text(nl="Verder", en="Continue"),
    "safety_answer_first": Text(
        nl="Vink aan wat voor jou geldt, of bevestig dat geen van deze punten geldt.",
        en="Tick what applies to you, or confirm that none of these apply.",
    ),
    "safety_contradiction": Text(
        nl="Je hebt een punt aangevinkt én 'geen van deze punten'. Kijk het nog even na.",
        en="You ticked a point and also 'none of these apply'. Please check again.",
    ),
    "safety_see_gp": Text(
        nl="Neem eerst contact op met je huisarts voordat je met deze oefeningen begint. Wat je aanvinkte "
        "moet eerst door een arts worden bekeken. Bij controleverlies over plassen of ontlasting: bel "
        "vandaag nog je huisarts of de huisartsenpost.",
        en="Please contact your GP (huisarts) before you start these exercises. What you ticked should be "
        "checked by a doctor first. With loss of bladder or bowel control: call your GP or the out-of-hours "
        "service today.",
    ),
    "safety_recheck": Text(nl="Opnieuw invullen", en="Answer again"),
    "facts_title": Text(nl="Goed om te weten", en="Good to know"),
    "fact_harmless": Text(
        nl="Lage rugpijn is meestal onschuldig en gaat bij de meeste mensen binnen enkele weken over.",
        en="Low back pain is usually harmless and for most people it passes within a few weeks.",
    ),
    "fact_movement": Text(
        nl="Bewegen helpt: blijf zo veel mogelijk actief, bedrust maakt het niet beter.",
        en="Movement helps: stay as active as you can, bed rest does not make it better.",
    ),
    "fact_time": Text(
        nl="Bouw je activiteit op volgens tijd of aantal, niet op geleide van de pijn.",
        en="Build up your activity on time or number, not on pain.",
    ),
    "stop_note": Text(
        nl="Stop met oefenen als de pijn tijdens het oefenen duidelijk erger wordt.",
        en="Stop exercising if the pain gets much worse while you exercise.",
    ),
    "disclaimer": Text(
        nl="formcheck is een hulpmiddel bij oefeningen van je fysiotherapeut of huisarts. Het is geen "
        "medisch hulpmiddel en stelt geen diagnose. Twijfel je, neem dan contact op met je huisarts.",
        en="formcheck helps you do the exercises your physiotherapist or GP gave you. It is not a medical "
        "device and does not diagnose anything. When in doubt, contact your GP.",
    ),
    "pain_before": Text(
        nl="Hoeveel pijn heb je nu? (0 = geen pijn, 10 = ergst denkbare pijn)",
        en="How much pain do you have now? (0 = no pain, 10 = worst pain imaginable)",
    ),
    "pain_after": Text(
        nl="Hoeveel pijn heb je nu, na het oefenen? (0-10)",
        en="How much pain do you have now, after exercising? (0-10)",
    ),
    "pain_much_worse": Text(
        nl="Je pijn is na het oefenen flink toegenomen. Stop voor vandaag en neem contact op met je "
        "fysiotherapeut of huisarts als het zo blijft.",
        en="Your pain went up a lot after exercising. Stop for today and contact your physiotherapist or GP "
        "if it stays like this.",
    ),
    # camera set-up
    "setup_title": Text(nl="Zo zet je de camera neer", en="Where to put the camera"),
    "setup_facts": Text(
        nl="Van opzij · {near:g}–{far:g} meter afstand · camera {height}",
        en="From the side · {near:g}–{far:g} metres away · camera {height}",
    ),
    "setup_facts_front": Text(
        nl="Van voren · {near:g}–{far:g} meter afstand · camera {height}",
        en="From the front · {near:g}–{far:g} metres away · camera {height}",
    ),
    "height_floor": Text(nl="op de grond of een krukje", en="on the floor or a stool"),
    "height_knee": Text(nl="op kniehoogte", en="at knee height"),
    "height_hip": Text(nl="op heuphoogte", en="at hip height"),
    "height_chest": Text(nl="op borsthoogte", en="at chest height"),
    "setup_checking": Text(
        nl="Opstelling controleren… Ga in de beginhouding liggen of staan.",
        en="Checking the set-up… Get into the starting position.",
    ),
    "setup_ok": Text(nl="Opstelling in orde: tellen is begonnen.", en="Set-up OK: counting has started."),
    "press_start": Text(
        nl="Zet de camera neer zoals hierboven, druk op START en ga in de beginhouding.",
        en="Place the camera as shown above, press START and get into the starting position.",
    ),
    "camera_lost": Text(
        nl="De camera stuurt geen beeld meer. Controleer de camera, druk op STOP en daarna weer op START. "
        "Je resultaten tot nu toe zijn bewaard.",
        en="The camera has stopped sending pictures. Check the camera, press STOP and then START again. "
        "Your results so far have been saved.",
    ),
    "processing_error": Text(
        nl="Er ging iets mis bij het verwerken van het beeld; formcheck probeert het verder.",
        en="Something went wrong while processing the picture; formcheck keeps trying.",
    ),
    "webrtc_start": Text(nl="START", en="START"),
    "webrtc_stop": Text(nl="STOP", en="STOP"),
    "webrtc_select_device": Text(nl="Kies camera", en="Select camera"),
    "webrtc_no_media": Text(
        nl="Deze browser kan de camera niet gebruiken.", en="This browser cannot use the camera."
    ),
    "webrtc_ask_permission": Text(
        nl="Geef toestemming om de camera te gebruiken.", en="Please allow access to the camera."
    ),
    "webrtc_not_available": Text(
        nl="Geen camera gevonden. Sluit een camera aan.", en="No camera found. Please connect a camera."
    ),
    "webrtc_denied": Text(
        nl="Toegang tot de camera is geweigerd. Sta de camera toe in de browser.",
        en="Access to the camera was denied. Allow the camera in your browser.",
    ),
    # live read-outs
    "reps_label": Text(nl="Herhalingen", en="Reps"),
    "reps_of": Text(nl="van {target}", en="of {target}"),
    "hold_label": Text(nl="Vasthouden", en="Hold"),
    "hold_left": Text(nl="nog {s} s", en="{s} s to go"),
    "hold_done": Text(nl="Goed zo!", en="Well done!"),
    # the "hold a little longer" cue when a programme sets the hold's seconds (the template's own cue may
    # name its own seconds); {hold} is "20" or "20 tot 30" / "20 to 30"
    "hold_short_target": Text(
        nl="Houd het de volgende keer iets langer vast: {hold} seconden.",
        en="Hold it a little longer next time: {hold} seconds.",
    ),
    "hold_range": Text(nl="{lo} tot {hi}", en="{lo} to {hi}"),
    "hold_leg": Text(nl="{hold} · {leg}", en="{hold} · {leg}"),
    "leg_count": Text(nl="{leg} {n}", en="{leg} {n}"),
    "leg_left": Text(nl="Links", en="Left"),
    "leg_right": Text(nl="Rechts", en="Right"),
    "said_leg_count": Text(nl="{leg}, {n}", en="{leg}, {n}"),
    "gauge_knee_flexion": Text(nl="Kniebuiging", en="Knee flexion"),
    "gauge_trunk_incline": Text(nl="Rompkanteling", en="Trunk inclination"),
    "lift_item": Text(nl="Til {n}: {technique}", en="Lift {n}: {technique}"),
    "technique_squat": Text(nl="squat (hurkend tillen)", en="squat"),
    "technique_semi-squat": Text(nl="semi-squat (half hurkend)", en="semi-squat"),
    "technique_stoop": Text(nl="stoop (gebukt tillen)", en="stoop"),
    "no_faults": Text(nl="geen fouten", en="no faults"),
    "replay_title": Text(nl="Laatste til, vertraagd", en="Last lift, slow motion"),
    "replay_button": Text(nl="Herhaal laatste til (slow motion)", en="Replay last lift (slow motion)"),
    "replay_none": Text(nl="Nog geen til om te herhalen.", en="No lift to replay yet."),
    "replay_speed": Text(nl="Snelheid", en="Speed"),
    "replay_note": Text(
        nl="De herhaling staat alleen in het geheugen en wordt niet opgeslagen.",
        en="The replay is kept in memory only and is never saved.",
    ),
    # summary and history
    "summary_title": Text(nl="Samenvatting van deze sessie", en="Summary of this session"),
    "summary_none": Text(nl="Nog geen herhalingen in deze sessie.", en="No reps in this session yet."),
    "summary_score": Text(nl="Gemiddelde score", en="Average score"),
    "summary_hold": Text(nl="Gemiddeld vastgehouden", en="Average hold"),
    "col_rep": Text(nl="Herhaling", en="Rep"),
    "col_score": Text(nl="Score", en="Score"),
    "col_faults": Text(nl="Verbeterpunten", en="To improve"),
    "col_hold": Text(nl="Vastgehouden (s)", en="Held (s)"),
    "col_technique": Text(nl="Techniek", en="Technique"),
    "col_time": Text(nl="Tijd (s)", en="Time (s)"),
    "chart_title": Text(nl="Verloop van de hoeken (graden)", en="Angles during the session (degrees)"),
    # ------------------------------------------------------------------ video report (analysis/report.py)
    "video_report_title": Text(nl="Oefenverslag", en="Exercise report"),
    "video_report_made": Text(
        nl="Gemaakt met formcheck op {date}, uit de video {video}.",
        en="Made with formcheck on {date}, from the video {video}.",
    ),
    "video_report_summary": Text(nl="Samenvatting", en="Summary"),
    "video_report_reps": Text(
        nl="{exercise} · herhalingen gevonden: {reps} · lengte van de video: {duration} s",
        en="{exercise} · reps found: {reps} · length of the video: {duration} s",
    ),
    "video_report_no_reps": Text(
        nl="In deze video is geen volledige herhaling gevonden. Staat de hele beweging in beeld, van opzij?",
        en="No complete rep was found in this video. Is the whole movement in view, from the side?",
    ),
    "video_report_score": Text(
        nl="Gemiddelde score: {score} van de 100.", en="Average score: {score} out of 100."
    ),
    "video_report_hold": Text(
        nl="Gemiddeld vastgehouden: {hold} s (doel: {min} tot {max} s).",
        en="Average hold: {hold} s (aim: {min} to {max} s).",
    ),
    "video_report_technique": Text(nl="Tiltechniek: {items}.", en="Lifting technique: {items}."),
    "video_report_all_good": Text(
        nl="Elke herhaling ging goed. Ga zo door!", en="Every rep went well. Keep it up!"
    ),
    "video_report_work_on": Text(nl="Om aan te werken:", en="To work on:"),
    "video_report_in_reps": Text(nl="({n} van de {total} herhalingen)", en="({n} of {total} reps)"),
    "video_report_trial": Text(
        nl="Proefcontrole, nog niet getoetst op echte opnames en niet meegeteld in de score: {items}",
        en="Trial check, not yet tested on real recordings and not counted in the score: {items}",
    ),
    "video_report_trial_short": Text(nl="proefcontrole", en="trial check"),
    "video_report_table": Text(nl="Per herhaling", en="Rep by rep"),
    "video_report_plots": Text(nl="De beweging in de tijd", en="The movement over time"),
    "video_report_plots_legend": Text(
        nl="Gekleurde banen: de herhalingen, met hun nummer (rood: met een verbeterpunt). Rode stip: waar "
        "een verbeterpunt werd gezien. Open stip: een proefcontrole. Stippellijn: de grens uit de oefening.",
        en="Shaded bands: the reps, with their number (red: with a point to improve). Red dot: where a point "
        "to improve was seen. Open dot: a trial check. Dashed line: the limit set in the exercise.",
    ),
    "video_report_frames": Text(nl="Belangrijke momenten", en="Key moments"),
    "video_report_frame_caption": Text(
        nl="Herhaling {n} · {t} s · {moment}", en="Rep {n} · {t} s · {moment}"
    ),
    "moment_lowest": Text(nl="laagste punt", en="lowest point"),
    "moment_top": Text(nl="hoogste punt", en="top"),
    "moment_turn": Text(nl="keerpunt", en="turning point"),
    "video_report_frame_missing": Text(
        nl="Dit beeld kon niet uit de video worden gelezen.",
        en="This frame could not be read from the video.",
    ),
    "video_report_frames_missing": Text(
        nl="De video kon niet opnieuw worden gelezen ({error}); het verslag heeft daarom geen beelden.",
        en="The video could not be read again ({error}), so the report has no pictures.",
    ),
    "video_report_cues": Text(nl="Aanwijzingen tijdens de oefening", en="Cues during the exercise"),
    "video_report_no_cues": Text(nl="Er zijn geen aanwijzingen gegeven.", en="No cues were given."),
    "video_report_about": Text(nl="Over deze analyse", en="About this analysis"),
    "video_report_about_text": Text(
        nl="Persoon gezien in {with_pose} van de {frames} beelden · {fps} beelden per seconde · rekenmodel "
        "{model} · {side} kant naar de camera",
        en="Person seen in {with_pose} of {frames} frames · {fps} frames per second · pose model {model} · "
        "{side} side towards the camera",
    ),
    "video_report_exists": Text(
        nl="In deze map staat al een verslag; kies een andere map.",
        en="This folder already holds a report; choose another folder.",
    ),
    "camera_side_left": Text(nl="linker", en="left"),
    "camera_side_right": Text(nl="rechter", en="right"),
    "video_report_private": Text(
        nl="Dit verslag is op deze computer gemaakt; er is niets via internet verstuurd.",
        en="This report was made on this computer; nothing was sent over the internet.",
    ),
    "saved": Text(nl="Sessie opgeslagen op deze computer.", en="Session saved on this computer."),
    "save_failed": Text(nl="Opslaan lukte niet: {error}", en="Could not save: {error}"),
    "store_unavailable": Text(
        nl="De geschiedenis kan niet worden geopend: {error}. Je kunt wel oefenen.",
        en="The history cannot be opened: {error}. You can still exercise.",
    ),
    "new_session": Text(nl="Nieuwe sessie", en="New session"),
    "history_title": Text(nl="Eerdere sessies", en="Earlier sessions"),
    "history_empty": Text(nl="Nog geen eerdere sessies.", en="No earlier sessions yet."),
    "delete_history": Text(nl="Al mijn gegevens wissen", en="Delete all my data"),
    "delete_confirm": Text(
        nl="Weet je het zeker? Alle sessies, programma's, pijnscores en PSK-scores op deze computer worden "
        "gewist. Dit kan niet ongedaan worden gemaakt.",
        en="Are you sure? Every session, programme, pain score and PSK score on this computer will be "
        "deleted. This cannot be undone.",
    ),
    "delete_yes": Text(nl="Ja, alles wissen", en="Yes, delete everything"),
    "delete_no": Text(nl="Nee, bewaren", en="No, keep it"),
    "history_deleted": Text(nl="Al je gegevens zijn gewist.", en="All your data has been deleted."),
    "not_local": Text(
        nl="formcheck is niet veilig gestart: de app is mogelijk bereikbaar vanaf het netwerk of stuurt "
        "gebruiksgegevens. Stop deze server en start formcheck in de map van formcheck met `make run`.",
        en="formcheck was not started safely: the app may be reachable from the network or send usage "
        "statistics. Stop this server and start formcheck from the formcheck folder with `make run`.",
    ),
    "history_row": Text(
        nl="{date} · {exercise} · herhalingen: {reps} · pijn voor → na: {before} → {after}",
        en="{date} · {exercise} · reps: {reps} · pain before → after: {before} → {after}",
    ),
}

if set(MESSAGES) & set(PROGRAMME_MESSAGES):  # pragma: no cover (a programming error, caught by any test)
    raise RuntimeError(f"message codes defined twice: {sorted(set(MESSAGES) & set(PROGRAMME_MESSAGES))}")
MESSAGES.update(PROGRAMME_MESSAGES)
if set(MESSAGES) & set(TEACH_MESSAGES):  # pragma: no cover (a programming error, caught by any test)
    raise RuntimeError(f"message codes defined twice: {sorted(set(MESSAGES) & set(TEACH_MESSAGES))}")
MESSAGES.update(TEACH_MESSAGES)
if set(MESSAGES) & set(PHYSIO_MESSAGES):  # pragma: no cover (a programming error, caught by any test)
    raise RuntimeError(f"message codes defined twice: {sorted(set(MESSAGES) & set(PHYSIO_MESSAGES))}")
MESSAGES.update(PHYSIO_MESSAGES)


def message(code: str, lang: str) -> str:
    """The text of ``code`` in ``lang`` (``nl`` or ``en``).

    Raises:
        KeyError: unknown code.
    """
    return MESSAGES[code].get(lang)


def leg_counts_text(leg_reps: Mapping[str, int], lang: str) -> str:
    """Reps per leg in words, ``"Links 2 · Rechts 1"`` / ``"Left 2 · Right 1"`` (legs in the given order)."""
    return " · ".join(
        message("leg_count", lang).format(leg=message(f"leg_{leg}", lang), n=int(n))
        for leg, n in leg_reps.items()
    )


def fault_text(template: Template, code: str, lang: str) -> str:
    """A fault, tempo or hold code in plain words (its cue in the template); the code itself if unknown."""
    cue = template.fault_cue(code)
    return cue.get(lang) if cue is not None else code


def technique_text(name: str | None, lang: str) -> str:
    """The display name of a technique label (squat / semi-squat / stoop); ``""`` for None."""
    if not name:
        return ""
    key = f"technique_{name}"
    return MESSAGES[key].get(lang) if key in MESSAGES else name


# ------------------------------------------------------------------ the desk-posture monitor
# (its reminders are in its template, exercises/desk_posture.toml)
MESSAGES.update(
    {
        "page_desk": Text(nl="Houding aan het bureau", en="Desk posture"),
        "posture_upright": Text(nl="rechtop", en="upright"),
        "posture_slouched": Text(nl="onderuitgezakt", en="slouched"),
        "posture_forward_head": Text(nl="hoofd naar voren", en="head forward"),
        "posture_leaning_back": Text(nl="achterover geleund", en="leaning back"),
        "posture_leaning_side": Text(nl="scheef naar één kant", en="leaning to one side"),
        "posture_away": Text(nl="even weg", en="away"),
        "desk_fixed_only": Text(
            nl="Zonder ijking: alleen beoordeeld op de vaste grenzen, niet op jouw eigen rechte houding.",
            en="Without a calibration: judged against the fixed limits only, not against your own upright "
            "posture.",
        ),
        "desk_auto_baseline": Text(
            nl="Een opname heeft geen ijking: jouw eigen rechte houding is genomen uit {seconds:g} seconden "
            "van je gewone rechte zithouding ({start:.1f}-{end:.1f} s).",
            en="A recording has no calibration: your own upright posture was taken from {seconds:g} "
            "seconds of your usual upright sitting ({start:.1f}-{end:.1f} s).",
        ),
        "desk_photo": Text(
            nl="Een foto: één moment, beoordeeld op de vaste grenzen.",
            en="A photo: one moment, judged against the fixed limits.",
        ),
        "desk_score": Text(nl="Houdingsscore (tijd rechtop)", en="Posture score (time upright)"),
        "desk_sitting": Text(nl="Zittijd sinds de laatste pauze", en="Sitting time since the last break"),
        "desk_segments": Text(nl="Houdingen", en="Postures"),
        "desk_calibrate": Text(
            nl="IJken: 3 seconden rechtop zitten", en="Calibrate: sit upright for 3 seconds"
        ),
        "desk_calibrating": Text(
            nl="Zit rechtop en ontspannen... nog {seconds:.0f} s",
            en="Sit upright and relaxed... {seconds:.0f} s",
        ),
        "desk_calibrated": Text(
            nl="Geijkt: dit is jouw rechte houding.", en="Calibrated: this is your upright posture."
        ),
        "desk_calibration_failed": Text(
            nl="Het ijken lukte niet: ik zag je niet goed. Zorg dat je hoofd en schouders in beeld zijn en "
            "probeer het nog eens.",
            en="The calibration did not work: I could not see you well. Make sure your head and shoulders "
            "are in view and try again.",
        ),
        "desk_not_calibrated": Text(
            nl="Nog niet geijkt: ik gebruik de vaste grenzen. IJk voor een beoordeling die bij jou past.",
            en="Not calibrated yet: using the fixed limits. Calibrate for a judgement that fits you.",
        ),
        "desk_speak": Text(nl="Herinneringen uitspreken", en="Speak the reminders"),
        "desk_low_rate": Text(
            nl="De camera wordt maar {fps:g} keer per seconde bekeken, zodat je laptop vlot blijft.",
            en="The camera is looked at only {fps:g} times a second, so your laptop stays responsive.",
        ),
    }
)
