"""Writes tests/data/phi_notes_heldout_formats_4.jsonl once: a fourth held-out set for the PHI finder, written and
frozen before the finder was changed after its third held-out set had been read.

Half of each category's identifiers come from Faker in the held-out locales (new draws); the other half from format
specifications written for this set alone (`spec_value`), with layouts that none of the first three sets nor any
training note uses: Roman-numeral and CJK dates, age with a sex letter (`94F`) and ages in French, Italian, Dutch
and Russian, obfuscated e-mail, Cisco-style hardware addresses, UDI device codes, IBANs, NPI numbers, French and
Dutch plates, phone layouts from Brazil and Sweden, and more. Each note records which of its labelled identifiers
came from which (`sources`, in label order). The note frames, clinical sentences, headers and patient lines are
new too. Run it only to check the committed file:

    python tests/data/make_phi_heldout_formats_4.py --check

Markup: `[[TYPE:text]]` with the types of meddialogue.safety.phi_categories. Every digit outside a labelled span is
a clinical value that must stay.
"""

from pathlib import Path

from make_phi_heldout_formats_2 import MONTHS, ROMAN, Note, build, write_or_check  # this folder is on sys.path

SEED = 919191  # used for this set only
NOTES = 400
OUT = Path(__file__).with_name("phi_notes_heldout_formats_4.jsonl")
MOIS = "janvier février mars avril mai juin juillet août septembre octobre novembre décembre".split()


def spec_value(n: Note, kind: str) -> str:
    """One identifier of `kind` in a format written for this set."""
    p, d = n.pick, n.n
    if kind == "NAME":
        f, l, l2 = n.first(), n.last(), n.last()
        return p(f"{f} \"{n.first()}\" {l}", f"{l}, {f[0]}.", f"Dr {l}-{l2}", f"{f.lower()} {l.lower()}",
                 f"{f[0]}. {n.first()[0]}. {l}", f"Mx {l}", f"{f} {l} Jr.", f"{l} {f}, {n.first()}")
    if kind == "LOCATION":
        c = n.fake.city()
        return p(f"North {c}", f"{c} Township", f"Upper {c}", f"{c} Valley", f"Saint-{c}", f"{c} Springs",
                 f"{c} (rural)", f"East {c} Village")
    if kind == "ADDRESS":
        s = n.fake.street_name()
        return p(f"Flat {d(1)}{n.up(1)}, {d(2)} {s}", f"{d(2)}{n.up(1)} {s}", f"Apartment {d(3)}, {d(4)} {s}",
                 f"{s} km {d(2)}", f"c/o {n.last()}, {d(2)} {s}", f"{s} {d(2)} bis", f"PO Box {d(4)}",
                 f"{s}, Block {n.up(1)}, Flat {d(2)}", f"{d(3)} {s} Apt {d(1)}{n.up(1)}", f"Room {d(3)}, {d(2)} {s}")
    if kind == "ZIP":
        return p(f"CH-{d(4)}", f"{d(3)}-{d(4)}", f"{d(4)} {n.up(2)}", f"SE-{d(3)} {d(2)}", f"{d(5)} CEDEX",
                 f"BT{d(2)} {d(1)}{n.up(2)}", f"D-{d(5)}", f"{n.up(1)}{d(4)}{n.up(3)}")
    if kind == "DATE":
        x = n.day()
        o = f"{x.day}{'th' if 11 <= x.day <= 13 else {1: 'st', 2: 'nd', 3: 'rd'}.get(x.day % 10, 'th')}"
        return p(f"{x.day}/{ROMAN[x.month - 1]}/{x.year}", f"{x.year}.{x.month:02d}.{x.day:02d}",
                 f"the {o} of {MONTHS[x.month - 1]} {x.year}", f"{x.year}年{x.month}月{x.day}日",
                 f"{x.day} {MOIS[x.month - 1]} {x.year}", f"{MONTHS[x.month - 1]} {x.day}, '{x.year % 100:02d}",
                 f"{x.day}.{x.month}.{x.year % 100:02d}", f"{x.day} {MONTHS[x.month - 1][:3].lower()} {x.year}")
    if kind == "AGE":
        a = n.rng.randint(90, 108)
        return p(f"{a}F", f"{a} M", f"{a} ans", f"{a} anni", f"{a} jaar", f"{a}yrs", f"{a} лет", f"{a}-year-old")
    if kind in ("PHONE", "FAX"):
        return p(f"({d(2)}) {d(4)}-{d(4)}", f"{d(3)}.{d(3)}.{d(4)}", f"+{d(2)}-{d(3)}-{d(7)}",
                 f"0{d(2)}-{d(3)} {d(2)} {d(2)}", f"{d(4)}-{d(4)}", f"+{d(2)} (0) {d(3)} {d(5)}")
    if kind == "EMAIL":
        u, w = n.fake.user_name(), n.fake.domain_word()
        return p(f"{u}+{w}@{w}.org", f"{n.first().lower()}_{n.last().lower()}@{w}.ac.uk", f"{u}(at){w}.com",
                 f"mailto:{u}@{w}.de", f"{u}@mail.{w}.gov")
    if kind == "SSN":
        return p(f"{d(3)}-{d(3)}-{d(3)}", f"{d(13)}", f"{d(8)}{n.up(1)}", f"{d(4)}.{d(2)}.{d(2)}.{d(3)}",
                 f"{n.up(1)}-{d(8)}-{d(1)}")
    if kind == "MRN":
        return p(f"H{d(6)}", f"MR-{d(2)}-{d(6)}", f"{d(3)}.{d(3)}.{d(3)}", f"URN {d(7)}", f"{n.up(3)}{d(5)}{n.up(1)}")
    if kind == "HEALTH_PLAN":
        return p(f"{n.up(1)}{d(2)}-{d(4)}-{d(4)}", f"GRP{d(5)}/MEM{d(6)}", f"{d(12)}", f"{n.up(2)}-{d(3)}-{d(3)}-{d(3)}")
    if kind == "ACCOUNT":
        return p(f"{n.up(2)}{d(2)} {d(4)} {d(4)} {d(4)} {d(4)}", f"{d(6)}/{d(8)}", f"ACCT-{d(7)}", f"{d(16)}")
    if kind == "LICENSE":
        return p(f"NPI {d(10)}", f"GMC {d(7)}", f"{n.up(2)}{d(6)}{n.up(1)}", f"RN{d(6)}", f"{d(3)}-{d(3)}-{d(3)}-{n.up(1)}")
    if kind == "VEHICLE":
        return p(f"{n.up(2)}-{d(3)}-{n.up(2)}", f"{d(2)}-{n.up(2)}-{d(2)}", f"{d(3)}-{n.up(3)}",
                 f"{n.up(1)}{d(3)}{n.up(2)}{d(2)}", f"{n.up(2)} {d(4)}")
    if kind == "DEVICE":
        return p(f"(01){d(14)}(21){n.up(2)}{d(6)}", f"{n.hexs(4)}.{n.hexs(4)}.{n.hexs(4)}", f"SN{d(10)}",
                 f"MEID {n.hexs(14, True)}", f"#{n.up(2)}{d(8)}")
    if kind == "URL":
        w, u = n.fake.domain_word(), n.fake.user_name()
        return p(f"ftp://{w}.net/{u}", f"https://{w}.org/~{u}", f"{w}.com/@{u}", f"bit.ly/{n.up(1)}{d(3)}{n.up(2)}",
                 f"https://drive.{w}.com/file/d/{n.hexs(12)}")
    if kind == "IP":
        q = lambda: str(int(d(3)) % 256)
        return p(f"{q()}.{q()}.{q()}.{q()}/32", f"fe80::{n.hexs(4)}:{n.hexs(4)}%eth0", f"ip-{q()}-{q()}-{q()}-{q()}",
                 f"{q()}.{q()}.{q()}.{q()} (VPN)")
    if kind == "BIOMETRIC":
        return p(f"palm vein {n.hexs(16)}", f"RS{d(6)}", f"DNA profile {n.up(3)}-{d(6)}", f"faceprint {n.hexs(24)}",
                 f"GAIT-{d(8)}")
    if kind == "PHOTO":
        x = n.day()
        return p(f"{n.last().lower()}.heic", f"PXL_{x:%Y%m%d}_{d(9)}.jpg", f"Screenshot {x:%Y-%m-%d}.png",
                 f"portrait-{d(3)}.webp", f"WhatsApp Image {x:%Y-%m-%d} at {d(1)}.{d(2)}.{d(2)}.jpeg")
    if kind == "ID":
        return p(f"Ref. {n.up(2)}/{d(5)}", f"Ticket #{d(7)}", f"{d(3)}-{n.up(1)}-{d(5)}", f"Docket {d(4)}-{n.up(2)}-{d(3)}",
                 f"Badge {d(5)}")
    if kind == "FACILITY":
        c, l = n.fake.city(), n.last()
        return p(f"{c} Polyclinic", f"Centro de Salud {c}", f"{l} Nursing Home", f"Hôpital {l}", f"{c} Health Centre",
                 f"Ospedale {l}", f"{c} District Hospital", f"{l} Care Home")
    raise ValueError(kind)


FRAMES = {
    "NAME": ["Next of kin {} agrees with the plan.", "Visited by {} this afternoon.", "{} rang the ward.",
             "Consent witnessed by {}.", "Goes by {} at home."],
    "LOCATION": ["Grew up near {}.", "Holiday in {} last month.", "Was staying in {} when it started.",
                 "Family drove down from {}."],
    "ADDRESS": ["Home address {}.", "Ambulance sent to {}.", "Key safe at {}.", "Now living at {}.",
                "Community nurse visits {} weekly."],
    "ZIP": ["Post code {}.", "Registered at a practice in {}.", "Delivery area {}.", "GP catchment {}."],
    "DATE": ["Fall on {} at home.", "Last seen well {}.", "Operation {}.", "Clinic letter of {} reviewed.",
             "Diagnosed {}."],
    "AGE": ["Frail lady, {}.", "Now {}, mobile with a frame.", "Admitted aged {}.", "Patient {} with delirium.",
            "He is {} this year."],
    "PHONE": ["Ring {} for her son.", "Landline {}.", "Neighbour's number {}.", "Best reached on {}."],
    "FAX": ["Faxed to {} this morning.", "Fax no. {}.", "Send results by fax ({}).", "Telefax {}."],
    "EMAIL": ["Her email is {}.", "Results sent to {}.", "Contact {} for the rota.", "E-mail {}."],
    "SSN": ["National insurance {}.", "Tax number {}.", "Personal number {} confirmed.", "SIN {}."],
    "MRN": ["Unit number {}.", "Record {} pulled.", "Case notes {}.", "Hospital no. {}."],
    "HEALTH_PLAN": ["Medicaid {}.", "Scheme number {}.", "Membership {} active.", "Insured as {}."],
    "ACCOUNT": ["Pension paid into {}.", "Direct debit from {}.", "Bank account {}.", "Invoice to {}."],
    "LICENSE": ["Signed by prescriber {}.", "Registration {} checked.", "Nurse PIN {}.", "Driving licence {}."],
    "VEHICLE": ["Parked as {} in bay 2.", "Number plate {}.", "Arrived in car {}.", "Blue badge for {}."],
    "DEVICE": ["Glucose sensor {}.", "CPAP machine {} loaned.", "Implant record {}.", "Wheelchair {} serviced."],
    "URL": ["Her page: {}.", "Shared at {}.", "Link {} in the notes.", "Read {} before clinic."],
    "IP": ["Remote access from {}.", "Telehealth call from {}.", "Device checked in from {}."],
    "BIOMETRIC": ["Scanner stored {}.", "Biometric ID {}.", "Enrolled with {}.", "Access template {}."],
    "PHOTO": ["Wound photo {}.", "Uploaded {} to the record.", "Picture {} from the family."],
    "ID": ["Complaint {}.", "Safeguarding ref {}.", "Ward pass {}.", "Court ref {}."],
    "FACILITY": ["Came over from {}.", "Day centre at {}.", "Placement at {} agreed.", "Bloods taken at {}."],
}


def clinical(n: Note) -> str:
    """One sentence of clinical values (all kept by a scrubber)."""
    r, p = n.rng, n.pick
    ri, u = r.randint, r.uniform
    return p(f"Lithium level {u(0.2, 1.5):.1f} mmol/L.", f"PHQ-9 {ri(0, 27)}; GAD-7 {ri(0, 21)}.",
             f"Clinical Frailty Scale {ri(1, 9)}.", f"Ankle-brachial index {u(0.3, 1.3):.2f}.",
             f"Serum osmolality {ri(260, 340)} mOsm/kg.", f"Lactulose {p(10, 15, 20)} mL BD.",
             f"Oxycodone {p(2.5, 5, 10)} mg 4-hourly, up to {ri(2, 6)} doses.",
             f"Pressure ulcer grade {ri(1, 4)}, {ri(1, 9)} cm across.", f"Vancomycin trough {u(5, 25):.1f} mg/L.",
             f"D-dimer {ri(100, 5000)} ng/mL.", f"Timed up and go {ri(8, 60)} s.", f"NIHSS {ri(0, 30)}.",
             f"Barthel {ri(0, 20) * 5}/100.", f"Blood glucose {u(2, 25):.1f} mmol/L before breakfast.",
             f"Tidal volume {ri(300, 700)} mL, PEEP {ri(5, 15)}.",
             f"Intake {ri(600, 2400)} kcal/day, {ri(30, 110)}% of needs.",
             f"Catheter {p(12, 14, 16)} Fr, {ri(50, 900)} mL residual.", f"Temperature {u(35, 40.5):.1f} C overnight.",
             f"Weight {u(35, 120):.1f} kg, down {ri(1, 9)} kg.", f"GCS {ri(3, 15)}.", f"Sats {ri(85, 100)}% on air.",
             f"Amoxicillin {p(500, 1000)} mg TDS for {ri(5, 7)} days.", f"CRP {ri(1, 350)}, WCC {u(2, 30):.1f}.",
             f"MUST score {ri(0, 4)}.", f"Grip strength {ri(5, 40)} kg.", f"Chest drain {ri(20, 800)} mL in 24 h.")


HEADERS = ["Geriatric review", "Discharge planning meeting", "District nurse visit", "Admission clerking",
           "Continence clinic", "Tissue viability review", "Hospital at home", "Occupational therapy note",
           "Carer's assessment", "Ambulance handover"]
DESIGN = {"id": "heldout-formats-4", "spec": spec_value, "frames": FRAMES, "clinical": clinical, "headers": HEADERS,
          "patients": ["Patient: {}", "Resident {}", "About: {}", "Person seen - {}"],
          "endings": ["Will review.", "Copy to GP.", "Plan as above."]}


if __name__ == "__main__":
    write_or_check(lambda: build(SEED, DESIGN), OUT, NOTES)
