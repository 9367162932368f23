"""Texts of programmes, outcomes (NPRS, PSK) and progress, in Dutch and English (merged into
:data:`formcheck.core.messages.MESSAGES`; kept apart so that this feature's texts read together).

Kind, never fear-inducing: a missed day is not a failure, rising pain is a reason to contact the physio,
not to stop moving (KNGF 2021: activity is built up on time, not on pain).
"""

from __future__ import annotations

from formcheck.core.templates import Text

PROGRAMME_MESSAGES: dict[str, Text] = {
    # pages
    "page_programme": Text(nl="Mijn programma", en="My programme"),
    "page_progress": Text(nl="Voortgang", en="Progress"),
    "page_compose": Text(nl="Programma maken (fysio)", en="Compose a programme (physio)"),
    # opening a programme
    "prog_none": Text(
        nl="Je volgt nog geen programma. Open het programmabestand van je fysiotherapeut, of begin met het "
        "startprogramma.",
        en="You are not following a programme yet. Open the programme file from your physiotherapist, or "
        "begin with the starter programme.",
    ),
    "prog_open": Text(nl="Programmabestand openen (.toml)", en="Open a programme file (.toml)"),
    "prog_use_file": Text(nl="Dit programma volgen", en="Follow this programme"),
    "prog_use_starter": Text(nl="Het startprogramma volgen", en="Follow the starter programme"),
    "prog_start_day": Text(nl="Begonnen op", en="Started on"),
    "prog_bad_file": Text(
        nl="Dit programmabestand kan niet worden gebruikt: {error}",
        en="This programme file cannot be used: {error}",
    ),
    "prog_starter_missing": Text(
        nl="Het startprogramma kan nog niet worden gebruikt: {error}",
        en="The starter programme cannot be used yet: {error}",
    ),
    "prog_replace": Text(nl="Een ander programma openen", en="Open another programme"),
    "prog_header": Text(
        nl="{title} · week {week} van {weeks} · {days} dagen per week",
        en="{title} · week {week} of {weeks} · {days} days a week",
    ),
    "prog_after_end": Text(
        nl="Je programma is klaar. Ga gerust door met de oefeningen van de laatste week en bespreek met je "
        "fysiotherapeut hoe je verder gaat.",
        en="Your programme is complete. Feel free to keep doing the last week's exercises, and talk to your "
        "physiotherapist about what comes next.",
    ),
    "prog_note": Text(nl="Van je fysiotherapeut: {note}", en="From your physiotherapist: {note}"),
    # today
    "today_title": Text(nl="Vandaag", en="Today"),
    "today_session": Text(
        nl="Vandaag staan {n} oefeningen op je programma, ongeveer {minutes} minuten.",
        en="Today your programme has {n} exercises, about {minutes} minutes.",
    ),
    "today_rest": Text(
        nl="Vandaag is een rustdag. Bewegen mag natuurlijk altijd. Volgende sessie: {day}.",
        en="Today is a rest day. Moving about is always fine. Next session: {day}.",
    ),
    "today_rest_anyway": Text(nl="Toch een sessie doen", en="Do a session anyway"),
    "today_done": Text(
        nl="Je hebt de sessie van vandaag gedaan. Goed zo!", en="You have done today's session. Well done!"
    ),
    "today_go": Text(nl="Naar de sessie van vandaag", en="Go to today's session"),
    "missed_kind": Text(
        nl="Sinds je laatste sessie zijn er {n} geplande dagen voorbijgegaan. Dat geeft niets: het gaat om "
        "wat je vanaf nu doet. Pak het gewoon vandaag weer op.",
        en="{n} planned days have gone by since your last session. That's all right: what counts is what "
        "you do from now on. Just pick it up again today.",
    ),
    "set_line": Text(
        nl="{exercise}{side}: {sets} × {reps}{hold}", en="{exercise}{side}: {sets} × {reps}{hold}"
    ),
    "side_left": Text(nl="links", en="left"),
    "side_right": Text(nl="rechts", en="right"),
    "per_side": Text(nl=" (per kant)", en=" (each side)"),
    "hold_each": Text(nl=", elke keer {hold} s vasthouden", en=", hold {hold} s each time"),
    # running a session
    "run_begin": Text(nl="Begin de sessie", en="Begin the session"),
    "run_set": Text(
        nl="{exercise}{side} · set {set} van {sets}",
        en="{exercise}{side} · set {set} of {sets}",
    ),
    "run_target": Text(nl="{reps} keer{hold}", en="{reps} times{hold}"),
    "run_count": Text(nl="{reps}", en="{reps}"),
    "run_next_set": Text(nl="Klaar, volgende", en="Done, next"),
    "run_skip_set": Text(nl="Deze set overslaan", en="Skip this set"),
    "run_skip_rest": Text(nl="Rust overslaan", en="Skip the rest"),
    "run_end": Text(nl="Sessie afsluiten", en="End the session"),
    "run_rest": Text(nl="Rust: nog {s} s", en="Rest: {s} s to go"),
    "run_set_done": Text(nl="Set klaar. Rust {s} seconden.", en="Set done. Rest for {s} seconds."),
    "run_rest_left": Text(nl="Nog {s} seconden.", en="{s} seconds to go."),
    "run_next": Text(nl="Volgende: {exercise}, {reps} keer.", en="Next: {exercise}, {reps} times."),
    "run_next_side": Text(
        nl="Volgende: {exercise}, {side}, {reps} keer.", en="Next: {exercise}, {side}, {reps} times."
    ),
    "run_go": Text(nl="Begin maar.", en="Off you go."),
    "run_session_done": Text(nl="Sessie klaar. Goed gedaan!", en="Session complete. Well done!"),
    "run_summary": Text(
        nl="Gedaan: {done} van {planned} herhalingen in {sets} sets.",
        en="Done: {done} of {planned} reps in {sets} sets.",
    ),
    "run_camera_hint": Text(
        nl="Druk op START; de camera blijft aan tussen de sets en oefeningen.",
        en="Press START; the camera stays on between sets and exercises.",
    ),
    "run_missing_exercise": Text(
        nl="Deze formcheck kent de oefening '{exercise}' niet; die set wordt overgeslagen.",
        en="This formcheck does not know the exercise '{exercise}'; that set is skipped.",
    ),
    # pain and PSK
    "pain_rising_note": Text(
        nl="Wordt je pijn tijdens het programma hoger? Neem dan contact op met je fysiotherapeut. Het is "
        "geen reden om te stoppen met bewegen: blijven bewegen helpt je rug.",
        en="Is your pain rising during the programme? Then contact your physiotherapist. It is not a reason "
        "to stop moving: staying active helps your back.",
    ),
    "psk_title": Text(
        nl="Activiteiten die lastig zijn door je rug (PSK)",
        en="Activities that are hard because of your back (PSK)",
    ),
    "psk_intro": Text(
        nl="Noem maximaal drie activiteiten die je belangrijk vindt en die nu lastig zijn door je rug, "
        "bijvoorbeeld sokken aantrekken, fietsen of in de tuin werken. Elke week geef je ze een cijfer. "
        "Het blijven dezelfde drie, zodat je ziet hoe ze veranderen.",
        en="Name up to three activities that matter to you and that are hard now because of your back, for "
        "example putting on socks, cycling or gardening. Every week you give each a score. They stay the "
        "same three, so you can see how they change.",
    ),
    "psk_activity": Text(nl="Activiteit {n}", en="Activity {n}"),
    "psk_save_names": Text(nl="Activiteiten bewaren", en="Save the activities"),
    "psk_rate": Text(
        nl="Hoe moeilijk is {activity} deze week? (0 = geen moeite, 10 = onmogelijk)",
        en="How hard is {activity} this week? (0 = no difficulty, 10 = impossible)",
    ),
    "psk_all": Text(nl="Geef elke activiteit een cijfer.", en="Give each activity a score."),
    "psk_save": Text(nl="Scores van deze week bewaren", en="Save this week's scores"),
    "psk_saved": Text(nl="Bewaard. Tot volgende week!", en="Saved. See you next week!"),
    "psk_done_week": Text(
        nl="Je hebt je activiteiten deze week al een cijfer gegeven ({day}).",
        en="You have already scored your activities this week ({day}).",
    ),
    # progress
    "progress_title": Text(nl="Je voortgang", en="Your progress"),
    "progress_empty": Text(
        nl="Nog niets om te laten zien: na je eerste sessie verschijnt hier je voortgang.",
        en="Nothing to show yet: your progress appears here after your first session.",
    ),
    "progress_sessions": Text(
        nl="Sessies gedaan: {done} van {planned} gepland.", en="Sessions done: {done} of {planned} planned."
    ),
    "progress_of_patient": Text(
        nl="Voortgang uit het bestand {name} (alleen bekijken; er wordt niets opgeslagen).",
        en="Progress from the file {name} (view only; nothing is saved).",
    ),
    "progress_open_file": Text(
        nl="Voortgangsbestand van een patiënt openen (fysio)", en="Open a patient's progress file (physio)"
    ),
    "progress_file_bad": Text(
        nl="Dit voortgangsbestand kan niet worden geopend: {error}",
        en="This progress file cannot be opened: {error}",
    ),
    "progress_own": Text(nl="Terug naar mijn eigen voortgang", en="Back to my own progress"),
    "chart_sessions": Text(
        nl="Sessies per week (gedaan en gepland)", en="Sessions per week (done and planned)"
    ),
    "chart_pain": Text(
        nl="Pijn per week (0 = geen pijn, 10 = ergst denkbaar)", en="Pain per week (0 = none, 10 = worst)"
    ),
    "chart_score": Text(nl="Score per oefening per week (0–100)", en="Score per exercise per week (0–100)"),
    "chart_psk": Text(
        nl="Activiteiten per week (0 = geen moeite, 10 = onmogelijk)",
        en="Activities per week (0 = no difficulty, 10 = impossible)",
    ),
    "col_week": Text(nl="Week", en="Week"),
    "col_from": Text(nl="Vanaf", en="From"),
    "col_done": Text(nl="Gedaan", en="Done"),
    "col_planned": Text(nl="Gepland", en="Planned"),
    "col_free": Text(nl="Losse sessies", en="Other sessions"),
    "col_pain_before": Text(nl="Pijn voor", en="Pain before"),
    "col_pain_after": Text(nl="Pijn na", en="Pain after"),
    "col_exercise": Text(nl="Oefening", en="Exercise"),
    "col_sets": Text(nl="Sets gedaan / gepland", en="Sets done / planned"),
    "col_reps_plan": Text(nl="Herhalingen gedaan / gepland", en="Reps done / planned"),
    "col_reps_all": Text(nl="Herhalingen geteld", en="Reps counted"),
    "col_holds": Text(nl="Keer vastgehouden (gemiddeld s)", en="Holds (mean s)"),
    "col_top_fault": Text(nl="Meest voorkomend verbeterpunt", en="Most frequent point to improve"),
    "trend_pain": Text(
        nl="Pijn {when}: van {first} (week {w1}) naar {last} (week {w2}): {verdict}.",
        en="Pain {when}: from {first} (week {w1}) to {last} (week {w2}): {verdict}.",
    ),
    "when_before": Text(nl="voor het oefenen", en="before exercising"),
    "when_after": Text(nl="na het oefenen", en="after exercising"),
    "trend_score": Text(
        nl="{exercise}: score van {first} naar {last}: {verdict}.",
        en="{exercise}: score from {first} to {last}: {verdict}.",
    ),
    "trend_psk": Text(
        nl="{activity}: van {first} naar {last}: {verdict}.",
        en="{activity}: from {first} to {last}: {verdict}.",
    ),
    "verdict_down": Text(nl="lager", en="lower"),
    "verdict_up": Text(nl="hoger", en="higher"),
    "verdict_same": Text(nl="ongeveer gelijk", en="about the same"),
    "verdict_too_few": Text(nl="nog te vroeg om iets te zeggen", en="too early to say"),
    "score_up": Text(nl="beter", en="better"),
    "score_down": Text(nl="minder", en="lower"),
    "fault_fading": Text(
        nl="{exercise}: '{fault}' komt steeds minder vaak voor. Mooi!",
        en="{exercise}: '{fault}' comes up less and less often. Nice!",
    ),
    "fault_growing": Text(
        nl="{exercise}: '{fault}' komt vaker voor dan eerst; let er de komende sessies extra op.",
        en="{exercise}: '{fault}' comes up more often than before; keep an eye on it in the next sessions.",
    ),
    "fault_steady": Text(
        nl="{exercise}: '{fault}' komt ongeveer even vaak voor als eerst.",
        en="{exercise}: '{fault}' comes up about as often as before.",
    ),
    "fault_too_few": Text(
        nl="{exercise}: nog te weinig herhalingen om te zien of '{fault}' minder wordt.",
        en="{exercise}: too few reps yet to see whether '{fault}' is fading.",
    ),
    "fault_none": Text(
        nl="{exercise}: geen vast verbeterpunt. Goed zo!",
        en="{exercise}: no recurring point to improve. Well done!",
    ),
    "trends_title": Text(nl="Wat is er veranderd?", en="What has changed?"),
    "numbers_title": Text(nl="De getallen", en="The numbers"),
    # exports
    "export_title": Text(nl="Exporteren", en="Export"),
    "export_csv": Text(nl="Alle sessies en herhalingen (CSV)", en="Every session and rep (CSV)"),
    "export_html": Text(nl="Voortgangsrapport (HTML, om te printen)", en="Progress report (HTML, printable)"),
    "export_file": Text(
        nl="Voortgangsbestand voor je fysiotherapeut", en="Progress file for your physiotherapist"
    ),
    "export_note": Text(
        nl="Bestanden worden alleen op deze computer gemaakt; jij bepaalt aan wie je ze geeft.",
        en="Files are made on this computer only; you decide whom you give them to.",
    ),
    "report_title": Text(nl="formcheck · voortgangsrapport", en="formcheck · progress report"),
    "report_made": Text(
        nl="Gemaakt op {day} met formcheck, op de eigen computer van de patiënt.",
        en="Made on {day} with formcheck, on the patient's own computer.",
    ),
    "data_deleted": Text(nl="Al je gegevens zijn gewist.", en="All your data has been deleted."),
    # composing (physio)
    "compose_intro": Text(
        nl="Stel een programma samen en download het bestand. Geef het aan je patiënt (e-mail, USB); die "
        "opent het op de pagina 'Mijn programma'. De opbouw gaat op tijd, niet op pijn.",
        en="Compose a programme and download the file. Give it to your patient (e-mail, USB); they open it "
        "on the 'My programme' page. It builds up over time, not on pain.",
    ),
    "compose_title": Text(nl="Naam van het programma", en="Programme name"),
    "compose_author": Text(nl="Fysiotherapeut", en="Physiotherapist"),
    "compose_note": Text(nl="Toelichting voor de patiënt", en="Note for the patient"),
    "compose_weeks": Text(nl="Aantal weken", en="Weeks"),
    "compose_days": Text(nl="Dagen per week", en="Days a week"),
    "compose_rest": Text(nl="Rust tussen sets (s)", en="Rest between sets (s)"),
    "compose_exercises": Text(nl="Oefeningen", en="Exercises"),
    "compose_exercise": Text(nl="Oefening {n}", en="Exercise {n}"),
    "compose_per_side": Text(nl="Per kant (links en rechts)", en="Each side (left and right)"),
    "compose_stage": Text(nl="Vanaf week (leeg = niet gebruikt)", en="From week (empty = not used)"),
    "compose_sets": Text(nl="Sets", en="Sets"),
    "compose_reps": Text(nl="Herhalingen", en="Reps"),
    "compose_hold": Text(nl="Vasthouden (s, 0 = niet)", en="Hold (s, 0 = none)"),
    "compose_add": Text(nl="Oefening toevoegen", en="Add an exercise"),
    "compose_remove": Text(nl="Laatste oefening weghalen", en="Remove the last exercise"),
    "compose_ok": Text(
        nl="Het programma is in orde: {minutes} minuten per sessie in week 1.",
        en="The programme is valid: {minutes} minutes a session in week 1.",
    ),
    "compose_download": Text(nl="Programmabestand downloaden", en="Download the programme file"),
    "compose_preview": Text(nl="Zo ziet het bestand eruit", en="What the file looks like"),
}
