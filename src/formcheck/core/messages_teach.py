"""Texts of teaching an exercise by demonstration (the derived template's texts, the comparison with the
demonstration, the teach page and its messages), in Dutch and English; merged into
:data:`formcheck.core.messages.MESSAGES`, kept apart so that this feature's texts read together.
"""

from __future__ import annotations

from formcheck.core.templates import Text

TEACH_MESSAGES: dict[str, Text] = {
    # the taught template's texts (core/teach.py)
    "teach_title_default": Text(nl="Oefening van je fysiotherapeut", en="Exercise from your physiotherapist"),
    "teach_instructions": Text(
        nl="Doe de oefening zoals je fysiotherapeut hem heeft voorgedaan, van opzij gefilmd. Begin en eindig "
        "in de beginhouding.",
        en="Do the exercise as your physiotherapist showed it, filmed from the side. Start and end in the "
        "starting position.",
    ),
    "teach_camera": Text(
        nl="Zet de camera naast je, 2 tot 3 meter van je af, zodat je van opzij helemaal in beeld bent.",
        en="Put the camera beside you, 2 to 3 metres away, so you are seen from the side, all of you in "
        "view.",
    ),
    "teach_position_cue": Text(
        nl="Ga in de beginhouding staan of liggen, zoals voorgedaan.",
        en="Get into the starting position, as shown.",
    ),
    "teach_phase_rest": Text(nl="Beginhouding", en="Starting position"),
    "teach_phase_away": Text(nl="Beweging", en="Movement"),
    "teach_phase_high": Text(nl="Eerste stand", en="First position"),
    "teach_phase_low": Text(nl="Tweede stand", en="Second position"),
    "teach_hold_cue": Text(
        nl="Houd de eindstand wat langer vast: minstens {s} seconden, zoals voorgedaan.",
        en="Hold the end position a little longer: at least {s} seconds, as shown.",
    ),
    "teach_hold_done": Text(nl="Goed vastgehouden. Kom rustig terug.", en="Well held. Come back calmly."),
    "teach_still_cue": Text(
        nl="Houd je {part} zoals voorgedaan (ongeveer {level}).",
        en="Keep your {part} as shown (about {level}).",
    ),
    "teach_good": Text(nl="Mooi, zoals voorgedaan!", en="Nice, just as shown!"),
    "teach_less": Text(
        nl="Minder {what} dan voorgedaan: probeer iets verder te bewegen.",
        en="Less {what} than shown: try to move a little further.",
    ),
    "teach_more": Text(
        nl="Meer {what} dan voorgedaan: iets minder ver is genoeg.",
        en="More {what} than shown: a little less far is enough.",
    ),
    "teach_faster": Text(
        nl="Sneller dan voorgedaan: neem er rustig de tijd voor.",
        en="Faster than shown: take your time.",
    ),
    "col_demo": Text(nl="Zoals voorgedaan", en="As shown"),
    "teach_close": Text(nl="Heel dicht bij de voorgedane beweging.", en="Very close to the demonstration."),
    # what moves, for the cues above ({what}) and the still-part cue ({part})
    "teach_what_trunk_incline": Text(nl="kanteling van je romp", en="trunk tilt"),
    "teach_what_pelvis_height": Text(nl="optillen van je bekken", en="hip lift"),
    "teach_what_hand_height": Text(nl="op en neer van je handen", en="hand movement up and down"),
    "teach_what_hip_angle": Text(nl="buigen en strekken in je heup", en="hip bending and stretching"),
    "teach_what_knee_angle": Text(nl="buigen en strekken in je knie", en="knee bending and stretching"),
    "teach_what_elbow_angle": Text(nl="buigen en strekken in je elleboog", en="elbow bending and stretching"),
    "teach_what_shoulder_angle": Text(nl="armbeweging", en="arm movement"),
    "teach_what_neck_flexion": Text(nl="hoofdbeweging", en="head movement"),
    "teach_what_spine_flexion": Text(
        nl="bol en hol maken van je rug", en="rounding and hollowing of your back"
    ),
    "teach_part_trunk_incline": Text(nl="romp", en="trunk"),
    "teach_part_hip_angle": Text(nl="heup", en="hip"),
    "teach_part_knee_angle": Text(nl="knie", en="knee"),
    "teach_part_elbow_angle": Text(nl="arm", en="arm"),
    "teach_part_shoulder_angle": Text(nl="arm", en="arm"),
    "teach_part_neck_flexion": Text(nl="hoofd", en="head"),
    # one line for the physio (CLI) or the teach page when a demonstration cannot be used
    "teach_no_person": Text(
        nl="In de demonstratie is (bijna) geen persoon gevonden.",
        en="No person was found in (most of) the demonstration.",
    ),
    "teach_not_side": Text(
        nl="De demonstratie is niet van opzij gefilmd: zet de camera naast degene die hem voordoet.",
        en="The demonstration is not filmed from the side: put the camera beside the person showing it.",
    ),
    "teach_two_people": Text(
        nl="Er is vaak meer dan één persoon in beeld: film de demonstratie met alleen degene die hem "
        "voordoet.",
        en="More than one person is often in view: film the demonstration with only the person showing it.",
    ),
    "teach_no_movement": Text(
        nl="Geen duidelijke herhaalde beweging gevonden: doe 2 tot 5 rustige herhalingen, van opzij gefilmd, "
        "en begin en eindig in de beginhouding.",
        en="No clear repeated movement found: show 2 to 5 calm repetitions, filmed from the side, starting "
        "and ending in the starting position.",
    ),
    "teach_bad_name": Text(
        nl="De naam '{name}' kan niet: gebruik 2 tot 40 kleine letters, cijfers of _, beginnend met een "
        "letter.",
        en="The name '{name}' cannot be used: use 2 to 40 lower-case letters, digits or _, starting with a "
        "letter.",
    ),
    "teach_name_builtin": Text(
        nl="'{name}' is de naam van een ingebouwde oefening: kies een andere naam.",
        en="'{name}' is the name of a built-in exercise: choose another name.",
    ),
    "teach_name_taken": Text(
        nl="Er is al een oefening '{name}' bewaard ({path}); kies een andere naam of kies uitdrukkelijk voor "
        "vervangen.",
        en="An exercise '{name}' is already saved ({path}); choose another name or explicitly choose to "
        "replace it.",
    ),
    "teach_unreadable": Text(
        nl="De demonstratie kan niet worden gelezen: {reason}",
        en="The demonstration cannot be read: {reason}",
    ),
    "teach_few_reps": Text(
        nl="Maar {n} herhaling gevonden in {feature}: doe er minstens 2 voor.",
        en="Only {n} repetition found in {feature}: show at least 2.",
    ),
    # the teach page (webapp/pages/teach.py), for the physiotherapist
    "page_teach": Text(nl="Oefening aanleren (fysio)", en="Teach an exercise (physio)"),
    "teach_intro": Text(
        nl="Film 2 tot 5 goede herhalingen van opzij, helemaal in beeld, en begin en eindig in de "
        "beginhouding. formcheck zoekt wat beweegt en wat stil blijft, knipt de herhalingen en maakt er een "
        "oefening van, die je hieronder kunt nakijken, aanpassen en bewaren. De video wordt na het lezen "
        "gewist.",
        en="Film 2 to 5 good repetitions from the side, all of the body in view, starting and ending in the "
        "starting position. formcheck finds what moves and what stays still, cuts the repetitions and makes "
        "an exercise of it, which you can check, adjust and save below. The video is deleted once read.",
    ),
    "teach_upload": Text(
        nl="Demonstratievideo (mp4, mov, webm, avi)", en="Demonstration video (mp4, mov, webm, avi)"
    ),
    "teach_part": Text(
        nl="Het deel van de video waaruit geleerd wordt (s): laat het in- en uitlopen weg",
        en="The part of the video to learn from (s): leave out walking in and out",
    ),
    "teach_reading": Text(nl="De demonstratie wordt gelezen …", en="Reading the demonstration …"),
    "teach_found": Text(
        nl="{n} herhalingen gevonden, geteld op {feature}.",
        en="{n} repetitions found, counted on {feature}.",
    ),
    "teach_plots": Text(
        nl="De demonstratie met wat eruit is afgeleid: herhalingen gearceerd, grenzen gestippeld.",
        en="The demonstration with what was derived from it: repetitions shaded, limits dashed.",
    ),
    "teach_limit_rest": Text(nl="rust", en="rest"),
    "teach_limit_rep": Text(nl="minste beweging", en="least movement"),
    "teach_limit_low": Text(nl="ondergrens", en="lower limit"),
    "teach_limit_high": Text(nl="bovengrens", en="upper limit"),
    "teach_reps_table": Text(nl="Voorgedane herhalingen", en="Demonstrated repetitions"),
    "teach_edit": Text(nl="Nakijken en aanpassen", en="Check and adjust"),
    "teach_name": Text(
        nl="Naam (bestandsnaam: letters, cijfers, _)", en="Name (file name: letters, digits, _)"
    ),
    "teach_title_nl": Text(nl="Titel (Nederlands)", en="Title (Dutch)"),
    "teach_title_en": Text(nl="Titel (Engels)", en="Title (English)"),
    "teach_min_range": Text(
        nl="Minste beweging voor een herhaling ({unit})", en="Least movement that is a repetition ({unit})"
    ),
    "teach_hold_min": Text(nl="Minste houdtijd (s)", en="Least hold time (s)"),
    "teach_tolerance": Text(
        nl="{part}: toegestane afwijking ({unit})", en="{part}: allowed deviation ({unit})"
    ),
    "teach_from_start": Text(
        nl="Een opname die buiten de beginhouding begint, telt zijn eerste terugkeer (bijv. tillen vanaf de "
        "last)",
        en="A recording that starts away from the starting position counts its first return (e.g. a lift "
        "from the load)",
    ),
    "teach_overwrite": Text(
        nl="Een bewaarde oefening met deze naam vervangen", en="Replace a saved exercise of this name"
    ),
    "teach_save": Text(nl="Oefening bewaren", en="Save the exercise"),
    "teach_saved": Text(
        nl="Bewaard als '{name}' ({path}). Je vindt de oefening nu bij de andere oefeningen.",
        en="Saved as '{name}' ({path}). The exercise is now listed with the others.",
    ),
    "teach_preview": Text(nl="Het oefeningbestand", en="The exercise file"),
}
