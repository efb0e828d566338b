"""Writes tests/data/phi_notes_heldout_formats_3.jsonl once: a third held-out set for the PHI finder, written and
frozen before the finder was changed after its second held-out set had been read.

Half of each category's identifiers come from Faker in the held-out locales (as in the first set, new draws); the
other half from format specifications written for this set alone (`spec`: national id, address, date, phone, plate
and device formats, with layouts that neither of the first two sets nor any training note uses). Each note records which
of its labelled identifiers came from which (`sources`, in label order), so recall can be given for each half.
The note frames (some with no cue word before the identifier) and the clinical sentences are new too. Run it
only to check the committed file:

    python tests/data/make_phi_heldout_formats_3.py --check

Markup: `[[TYPE:text]]` with the types of meddialogue.safety.phi_categories. Every digit outside a labelled span is
a clinical value that must stay.
"""

from pathlib import Path

from make_phi_heldout_formats_2 import UP, WORDS, MONTHS, Note, build, write_or_check  # this folder is on sys.path

SEED = 737373  # used for this set only
NOTES = 400
OUT = Path(__file__).with_name("phi_notes_heldout_formats_3.jsonl")
MESES = "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre".split()
MONATE = "Januar Februar März April Mai Juni Juli August September Oktober November Dezember".split()


def spec_value(n: Note, kind: str) -> str:
    """One identifier of `kind` in a format written for this set."""
    p, d = n.pick, n.n
    if kind == "NAME":
        f, l, l2 = n.first(), n.last(), n.last()
        return p(f"{l} ({f})", f"{f[0]}{n.first()[0]} {l}", f"{f} {l}-{l2} III", f"{l.upper()} {f.upper()}",
                 f"{f} {l} née {l2}", f"Sr. {f} {l}", f"{f} {l[0]}.", f"{l}/{f}")
    if kind == "LOCATION":
        c = n.fake.city()
        return p(f"{c} Heights", f"Little {c}", f"{c} Junction", f"Port {n.last()}", f"Bad {c}", f"{c}-sur-Mer",
                 f"{c} Crossing", f"{n.last()} Bay")
    if kind == "ADDRESS":
        s = n.fake.street_name()
        return p(f"{s} {d(2)}, {d(1)}. OG", f"Unit {d(2)}/{d(3)} {s}", f"{s}, nº {d(3)}, {d(1)}º {p('A', 'B', 'C')}",
                 f"Casa {d(2)}, {s}", f"{d(4)} {s}, Suite {d(3)}", f"Haus {d(2)}, {s}",
                 f"Blk {d(3)} {s} #{d(2)}-{d(2)}", f"{s} {d(2)}-{d(2)}, apt. {d(2)}", f"Bldg {d(2)}, {s}", f"{s} s/n",
                 f"{d(2)} {s} (rear)")
    if kind == "ZIP":
        return p(f"{n.up(1)}{d(1)}{n.up(1)} {d(1)}{n.up(1)}{d(1)}", f"{d(5)}-{d(4)}", f"{n.up(2)}-{d(5)}",
                 f"{d(4)}-{d(3)}", f"AD{d(3)}", f"{d(6)}", f"{d(3)} {d(2)}", f"{n.up(1)}-{d(4)}")
    if kind == "DATE":
        x = n.day()
        o = f"{x.day}{'th' if 11 <= x.day <= 13 else {1: 'st', 2: 'nd', 3: 'rd'}.get(x.day % 10, 'th')}"
        return p(f"{x.day:02d}{MONTHS[x.month - 1][:3].upper()}{x.year}", f"{x.year}/{x.month}/{x.day}",
                 f"{x.month}-{x.day}-{x.year % 100:02d}", f"{x.day} de {MESES[x.month - 1]} de {x.year}",
                 f"{x.day}. {MONATE[x.month - 1]} {x.year}", f"{x:%A}, {x.day} {MONTHS[x.month - 1][:3]} {x.year}",
                 f"{MONTHS[x.month - 1]} the {o}", f"{o} {MONTHS[x.month - 1][:3]}. {x.year}",
                 f"{x.year}{x.month:02d}{x.day:02d}")
    if kind == "AGE":
        a = n.rng.randint(90, 106)
        w = ("ninety" + ("" if a == 90 else "-" + WORDS[a - 91])) if a < 100 else f"{a}"
        return p(f"{a} y.o.", f"{a}-yr-old", f"{a} yr", f"{a} Jahre", f"{a} años", f"{w} years", f"{a}", f"{a} y")
    if kind in ("PHONE", "FAX"):
        return p(f"({d(3)}) {d(3)} {d(4)} x{d(3)}", f"+{d(1)} {d(3)} {d(3)} {d(4)}", f"0{d(3)}/{d(6)}",
                 f"{d(2)} {d(2)} {d(2)} {d(2)} {d(2)}", f"+{d(3)} {d(2)} {d(3)} {d(2)} {d(2)}", f"tel:{d(10)}",
                 f"0{d(4)} {d(6)}")
    if kind == "EMAIL":
        u, w = n.fake.user_name(), n.fake.domain_word()
        return p(f"{u}@{w}.health", f"{n.first().lower()}.{n.last().lower()}@{w}.nhs.net", f"{u}@{w}.co",
                 f"{u.upper()}@{w}.IO", f"{u}.{d(3)}@{w}-clinic.com")
    if kind == "SSN":
        return p(f"{d(6)}{p('-', '+', 'A')}{d(3)}{n.up(1)}", f"{n.up(1)}{d(7)}{n.up(1)}",
                 f"{n.up(4)}{d(6)}{n.up(6)}{d(2)}", f"{d(2)}.{d(2)}.{d(2)}-{d(3)}.{d(2)}",
                 f"{d(3)} {d(2)} {d(3)} {d(3)}", f"{d(11)}")
    if kind == "MRN":
        return p(f"MRN{d(8)}", f"{n.up(2)}/{d(4)}/{d(3)}", f"{d(1)}-{d(3)}-{d(3)}-{d(3)}", f"{d(7)}{n.up(1)}",
                 f"#{d(9)}", f"{n.up(1)}{d(2)}.{d(3)}.{d(3)}")
    if kind == "HEALTH_PLAN":
        return p(f"{n.up(3)}{d(9)}", f"{d(4)} {d(3)} {d(3)}", f"{n.up(1)}{d(9)}-{d(2)}", f"{d(10)}-{n.up(1)}",
                 f"{n.up(2)}{d(3)}/{d(6)}")
    if kind == "ACCOUNT":
        return p(f"{d(8)}-{d(2)}", f"{n.up(2)}{d(2)}{d(18)}", f"{d(4)} **** **** {d(4)}", f"{d(3)}-{d(7)}-{d(1)}",
                 f"{d(2)}-{d(2)}-{d(2)} {d(8)}")
    if kind == "LICENSE":
        return p(f"{n.up(1)}{d(7)}", f"DEA {n.up(2)}{d(7)}", f"{n.up(3)}-{d(6)}", f"{d(9)}{n.up(2)}",
                 f"{d(2)}/{d(5)}/{n.up(1)}")
    if kind == "VEHICLE":
        return p(f"{n.up(3)}-{d(4)}", f"{d(1)}{n.up(3)}{d(3)}", f"{n.up(1)} {d(4)} {n.up(3)}",
                 f"{n.up(2)}{d(2)}{n.up(2)}{d(4)}", f"{n.up(1)}-{d(3)}-{n.up(3)}", f"{n.up(3)} {d(2)}-{d(2)}")
    if kind == "DEVICE":
        return p(f"IMEI {d(15)}", f"{n.hexs(8)}-{n.hexs(4)}", f"S/N {n.up(3)}{d(9)}", f"{n.hexs(12, True)}",
                 f"ESN {d(11)}", f"{n.up(2)}{d(2)}-{n.hexs(6, True)}")
    if kind == "URL":
        w, u = n.fake.domain_word(), n.fake.user_name()
        return p(f"www.{w}.com/{u}", f"https://{w}.org:8443/portal?id={d(6)}",
                 f"http://{int(d(3)) % 256}.{d(1)}.{d(2)}.{d(2)}/files", f"{u}.{w}.io", f"{w}.health/p/{d(4)}",
                 f"t.co/{n.up(2)}{d(4)}")
    if kind == "IP":
        q = lambda: str(int(d(3)) % 256)
        return p(f"{q()}.{q()}.{q()}.{q()}:{d(4)}", f"::ffff:{q()}.{q()}.{q()}.{q()}", f"{q()}.{q()}.{q()}.0/24",
                 f"2001:{n.hexs(4)}:{n.hexs(4)}::{n.hexs(2)}", f"fd{n.hexs(2)}:{n.hexs(4)}::{n.hexs(1)}")
    if kind == "BIOMETRIC":
        return p(f"FP-{n.up(2)}{d(8)}", f"voiceprint v{d(1)}.{n.hexs(10)}", f"IRIS:{n.hexs(20)}", f"{n.hexs(40)}",
                 f"BIO/{d(4)}/{n.up(3)}")
    if kind == "PHOTO":
        x = n.day()
        return p(f"IMG_{d(4)}.JPG", f"{n.last().lower()}_{x:%Y%m%d}_{d(6)}.jpg", f"DSC{d(5)}.NEF",
                 f"photo ({d(1)}).png", f"{n.last().lower()}-face.gif")
    if kind == "ID":
        return p(f"Case {d(2)}-{d(5)}", f"{n.up(3)}{d(4)}-{d(2)}", f"No. {d(6)}/{d(2)}", f"{d(5)}{n.up(2)}",
                 f"R-{d(4)}-{n.up(2)}{d(2)}")
    if kind == "FACILITY":
        c, l = n.fake.city(), n.last()
        return p(f"{l} Memorial Hospital", f"Clínica {c}", f"{c} General", f"Hospital Universitario {l}",
                 f"{l} Rehabilitation Centre", f"{c} Community Hospital", f"Krankenhaus {c}", f"Sanatorium {l}",
                 f"{l} Hospice")
    raise ValueError(kind)


FRAMES = {
    "NAME": ["Spoke to {} by phone.", "{} present for the discussion.", "Handed over to {} at 20:00.",
             "Letter copied to {}.", "Escorted by {}.", "Lives with {} and two cats."],
    "LOCATION": ["Moved here from {} in the spring.", "Works in {}.", "Family in {} informed.",
                 "Travelled back from {} by train.", "Her sister lives in {}."],
    "ADDRESS": ["Meals delivered to {}.", "Dressings sent to {}.", "Sheltered flat at {}.",
                "Discharge destination: {}.", "Police attended {} on Friday."],
    "ZIP": ["Postcode {} on the referral.", "Within the {} catchment.", "Sorting code {} for the pharmacy.",
            "Lives in the {} area."],
    "DATE": ["{}: first seizure.", "Admitted {} after a fall.", "Discharged {}.", "Scan dated {}.",
             "Since {} on warfarin."],
    "AGE": ["Turned {} in spring.", "{} and still gardening.", "At {}, lives alone.",
            "Recorded as {} on the ward list.", "Birthday last week: {}."],
    "PHONE": ["Call {} after 6pm.", "Mobile: {}", "Daughter on {}.", "Contact via {} (work)."],
    "FAX": ["Fax line {}.", "Copy faxed to {}.", "F: {}", "Fax {} only."],
    "EMAIL": ["Write to {}.", "Copy to {}.", "Email: {}", "Questions to {} please."],
    "SSN": ["ID card {} seen.", "Citizen number {}.", "Social security {}.", "Registered under {} with the council."],
    "MRN": ["Hospital number {}.", "Chart {}.", "Patient ID: {}.", "Folder {} retrieved."],
    "HEALTH_PLAN": ["Insurer policy {}.", "Plan ID {}.", "Beneficiary number {}.", "Covered under {}."],
    "ACCOUNT": ["Refund to {}.", "Account no. {}.", "Billing account {}.", "Card {} declined."],
    "LICENSE": ["Prescriber licence {}.", "DEA number {}.", "Licence {} verified.", "Permit {}."],
    "VEHICLE": ["Her car, {}, is in the car park.", "Registered vehicle {}.", "Hit by van {}.",
                "Taxi {} brought her in."],
    "DEVICE": ["Insulin pump {}.", "Pacemaker serial {}.", "Phone {} logged.", "Hearing aid {}.", "Tablet {} issued."],
    "URL": ["See {} for the video.", "Blog: {}", "Fundraiser at {}.", "Posted on {}."],
    "IP": ["Login from {}.", "Portal session {}.", "Router {} reset."],
    "BIOMETRIC": ["Fingerprint record {}.", "Voiceprint {}.", "Iris code {}.", "Stored template {}."],
    "PHOTO": ["Photo {} attached.", "Image {} on file.", "Selfie {} sent by her son."],
    "ID": ["Claim {}.", "Police report {}.", "Employee number {}.", "Student ID {}."],
    "FACILITY": ["Transferred from {}.", "Outpatient at {}.", "Respite at {}.", "Follow-up booked at {}."],
}


def clinical(n: Note) -> str:
    """One sentence of clinical values (all kept by a scrubber)."""
    r, p = n.rng, n.pick
    ri, u = r.randint, r.uniform
    return p(f"Lactate {u(0.5, 8):.1f} mmol/L after {ri(1, 3)} L fluid.",
             f"INR {u(0.9, 5):.1f} on warfarin {ri(1, 9)} mg.",
             f"HbA1c {ri(30, 120)} mmol/mol.", f"Creatinine {ri(40, 600)} µmol/L (baseline {ri(40, 150)}).",
             f"CURB-65 score {ri(0, 5)}.", f"Troponin {ri(3, 900)} ng/L at 0 h, {ri(3, 900)} at 3 h.",
             f"Paracetamol {p(500, 1)} {p('mg', 'g')} QDS.", f"Ferritin {ri(5, 900)} µg/L.",
             f"Respiratory rate {ri(10, 40)}, SpO2 {ri(82, 100)}% on {ri(1, 15)} L.",
             f"Wound {ri(1, 9)} x {ri(1, 9)} cm, depth {u(0.1, 3):.1f} cm.",
             f"Insulin glargine {ri(6, 60)} units at night.", f"Platelets {ri(20, 600)} x10^9/L.",
             f"Waist {ri(60, 140)} cm; BMI {u(15, 45):.1f}.",
             f"Urine output {u(0.1, 2):.1f} mL/kg/h.", f"Phosphate {u(0.3, 2):.1f} mmol/L.",
             f"Pain {ri(0, 10)}/10 at rest.",
             f"Gentamicin level {u(0.2, 3):.1f} mg/L.", f"Vitamin D {ri(10, 150)} nmol/L.",
             f"Alcohol {ri(0, 120)} units/week.",
             f"Smoker, {ri(5, 60)} pack-years.", f"Calcium {u(1.8, 3.2):.2f} mmol/L.", f"QTc {ri(380, 560)} ms.",
             f"Albumin {ri(15, 45)} g/L.", f"Rockall {ri(0, 11)}.",
             f"FEV1 {u(0.5, 4):.1f} L ({ri(20, 110)}% predicted).",
             f"Dose reduced to {p(1.25, 2.5, 5)} mg BD.",
             f"Heart rate {ri(90, 119)} in AF, BP {ri(90, 119)}/{ri(50, 90)}.")


HEADERS = ["Discharge summary", "Telephone consultation", "Frailty assessment", "Home visit", "Pharmacy review",
           "Night team handover", "Falls clinic", "Social work note", "Memory clinic", "Hospice admission"]
DESIGN = {"id": "heldout-formats-3", "spec": spec_value, "frames": FRAMES, "clinical": clinical, "headers": HEADERS,
          "patients": ["Re: {}", "Name | {}", "Client: {}", "Seen today: {}"],
          "endings": ["Signed off.", "Review in a week.", "Nothing further today."]}


if __name__ == "__main__":
    write_or_check(lambda: build(SEED, DESIGN), OUT, NOTES)
