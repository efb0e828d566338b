"""Writes tests/data/phi_notes_heldout_formats_2.jsonl once: a second held-out set for the PHI finder, written and
frozen before the finder was changed after its first held-out set had been read.

Half of each category's identifiers come from Faker in the held-out locales (as in the first set, new draws); the
other half from format specifications written for this set alone (`spec`: national id, address, date, phone, plate
and device formats, with layouts that neither the first set nor any training note uses). Each note records which
of its labelled identifiers came from which (`sources`, in label order), so recall can be given for each half.
The note frames and the clinical sentences are new too. Run it only to check the committed file:

    python tests/data/make_phi_heldout_formats_2.py --check

Markup: `[[TYPE:text]]` with the types of meddialogue.safety.phi_categories. Every digit outside a labelled span is
a clinical value that must stay.
"""
import json
import random
from datetime import date
from pathlib import Path

from faker import Faker

from make_phi_heldout_formats import write_or_check  # this folder is on sys.path when run as a script

SEED = 424242  # used for this set only
NOTES = 400
OUT = Path(__file__).with_name("phi_notes_heldout_formats_2.jsonl")
# The first held-out set's locales (meddialogue.safety.phi_categories.HELDOUT_LOCALES; written out so that this
# script reads nothing from the package).
LOCALES = ("ar_AA", "ar_AE", "ar_BH", "ar_DZ", "ar_EG", "ar_JO", "ar_PS", "ar_SA", "az_AZ", "bn_BD", "cs_CZ", "da_DK",
           "dk_DK", "en_IE", "en_IN", "en_MS", "en_NG", "es", "es_AR", "es_CA", "es_CL", "es_CO", "es_ES", "es_MX",
           "es_VE", "ga_IE", "hi_IN", "id_ID", "is_IS", "it_CH", "it_IT", "lt_LT", "mt_MT", "ng_NG", "nl_BE", "nl_NL",
           "pl_PL", "ro_RO", "sk_SK", "sr_BA", "uk_UA", "uz_UZ", "zu_ZA")
MONTHS = "January February March April May June July August September October November December".split()
ROMAN = "I II III IV V VI VII VIII IX X XI XII".split()
WORDS = "one two three four five six seven eight nine".split()
UP = "ABCDEFGHJKLMNPRSTUVWXYZ"


class Note:
    def __init__(self, rng, fake):
        self.rng, self.fake, self.sources = rng, fake, []

    def v(self, kind, text, source):
        text = " ".join(str(text).replace("\n", ", ").split())
        assert "]" not in text and "[" not in text, text
        self.sources.append(source)
        return f"[[{kind}:{text}]]"

    def pick(self, *xs): return self.rng.choice(xs)
    def n(self, digits): return "".join(self.rng.choice("0123456789") for _ in range(digits))
    def up(self, k): return "".join(self.rng.choice(UP) for _ in range(k))
    def hexs(self, k, upper=False): return "".join(self.rng.choice("0123456789ABCDEF" if upper else "0123456789abcdef") for _ in range(k))
    def last(self): return self.fake.last_name()
    def first(self): return self.fake.first_name()

    def day(self):
        return self.fake.date_between_dates(date(1930, 1, 1), date(2026, 6, 30))


def spec_value(n: Note, kind: str) -> str:
    """One identifier of `kind` in a format written for this set."""
    p, d = n.pick, n.n
    if kind == "NAME":
        f, l, l2 = n.first(), n.last(), n.last()
        return p(f"{f[0]}. {l}", f"{l}-{l2}", f"{f} {l2[0]}. {l}", f"{l.upper()}, {f} {l2[0]}.", f"{f} {l} Jr",
                 f"{f}-{n.first()} {l}", f"{l} {f}", f"{f} {l} {l2}")
    if kind == "LOCATION":
        c = n.fake.city()
        return p(f"North {c}", f"{c} Township", f"{n.last()} Parish", f"Upper {c}", f"{c} district", f"{c}-on-Sea",
                 f"Greater {c}", f"{n.last()} Valley")
    if kind == "ADDRESS":
        s = n.fake.street_name()
        return p(f"Flat {d(2)}, {n.last()} House, {s}", f"{d(3)}{p('a', 'B', 'bis')} {s}", f"PO Box {d(4)}",
                 f"Apt {d(1)}-{d(2)}, {d(3)} {s}", f"{s} {d(2)}/{d(1)}", f"Km {d(2)} Carretera {n.fake.city()}",
                 f"Lot {d(2)}, Block {d(1)}, {n.last()} Estate", f"{d(1)}-{d(2)}-{d(1)} {n.last()}-cho",
                 f"Plot No. {d(3)}, Sector {d(2)}", f"RR {d(1)} Box {d(3)}", f"c/o {n.last()}, {d(2)} {s}")
    if kind == "ZIP":
        return p(f"{n.up(2)}{d(1)} {d(1)}{n.up(2)}", f"{d(5)}-{d(3)}", f"{d(3)}-{d(4)}", f"D{d(2)} {n.up(1)}{d(1)}{n.up(1)}{d(1)}",
                 f"{d(4)} {n.up(2)}", f"CH-{d(4)}", f"L-{d(4)}", f"{d(2)}-{d(3)}")
    if kind == "DATE":
        x = n.day()
        o = f"{x.day}{'th' if 11 <= x.day <= 13 else {1: 'st', 2: 'nd', 3: 'rd'}.get(x.day % 10, 'th')}"
        return p(f"the {o} of {MONTHS[x.month - 1]}", f"{x.day}/{ROMAN[x.month - 1]}/{x.year}",
                 f"{MONTHS[x.month - 1]} '{x.year % 100:02d}", f"{x.day:02d}-{MONTHS[x.month - 1][:3].upper()}-{x.year}",
                 f"{x.day}.{x.month}.", f"{MONTHS[x.month - 1]} {x.year}", f"{x.year}.{x.month:02d}.{x.day:02d}",
                 f"{MONTHS[x.month - 1][:3]} {o}", f"{x.day} {MONTHS[x.month - 1][:3].lower()} {x.year % 100:02d}")
    if kind == "AGE":
        a = n.rng.randint(90, 104)
        w = ("ninety" + ("" if a == 90 else "-" + WORDS[a - 91])) if a < 100 else "one hundred"
        return p(f"{a}y", f"{a} yrs", f"{a}-yo", f"{a}yo", w.title() if a < 100 else f"{a}", f"{a} y/o", f"{a}-year")
    if kind in ("PHONE", "FAX"):
        return p(f"+{d(2)} ({d(1)}) {d(3)}-{d(4)}", f"{d(3)}.{d(3)}.{d(4)}", f"0{d(2)} {d(3)} {d(3)} ext. {d(3)}",
                 f"({d(2)}) {d(4)} {d(4)}", f"+{d(3)}-{d(2)}-{d(3)}-{d(3)}", f"00{d(2)} {d(3)} {d(6)}",
                 f"{d(4)}-{d(3)}-{d(3)}", f"+{d(2)}{d(9)}")
    if kind == "EMAIL":
        f, l = n.fake.user_name(), n.fake.domain_word()
        return p(f"{f}+{n.up(1).lower()}{d(2)}@{l}.co.uk", f"{f.upper()}@{l.upper()}.ORG", f"{f}_{d(2)}@mail.{l}.net",
                 f"{f}@{l}-health.org")
    if kind == "SSN":
        return p(f"{d(3)}.{d(3)}.{d(3)}-{d(2)}", f"{d(2)}.{d(3)}.{d(3)}-{p('K', d(1))}", f"{n.up(2)} {d(2)} {d(2)} {d(2)} {n.up(1)}",
                 f"{d(4)} {d(4)} {d(4)}", f"{d(6)}-{d(4)}", f"{n.up(1)}{d(6)}({d(1)})", f"{d(3)} {d(3)} {d(3)}")
    if kind == "MRN":
        return p(f"H{d(6)}/{d(2)}", f"{d(3)} {d(3)} {d(4)}", f"{d(2)}-{d(2)}-{d(2)}-{d(2)}", f"RX{d(7)}", f"{d(4)}.{d(5)}",
                 f"{n.up(3)}-{d(5)}-{n.up(1)}")
    if kind == "HEALTH_PLAN":
        return p(f"{n.up(3)} {d(3)} {d(3)} {d(3)}", f"{d(2)}/{d(8)}", f"{n.up(1)}{d(2)}-{d(4)}-{d(4)}-{d(2)}",
                 f"{d(12)}", f"{n.up(2)}.{d(4)}.{d(4)}")
    if kind == "ACCOUNT":
        return p(f"{d(4)}-{d(4)}-{d(2)}-{d(10)}", f"{d(2)}-{d(4)}-{d(7)}-{d(2)}", f"{d(6)} {d(8)}",
                 f"{n.up(2)}{d(2)} {n.up(4)} {d(4)} {d(4)} {d(4)} {d(2)}", f"{d(3)}-{d(6)}-{d(3)}")
    if kind == "LICENSE":
        return p(f"{n.up(1)}{d(3)}-{d(3)}-{d(2)}-{d(3)}-{d(1)}", f"{d(2)} {d(3)} {d(3)}", f"{n.up(5)}{d(6)}{n.up(2)}{d(1)}{n.up(2)}",
                 f"{d(4)}/{d(4)}", f"{n.up(2)}-{d(2)}-{d(6)}")
    if kind == "VEHICLE":
        return p(f"{n.up(1)}-{n.up(2)} {d(4)}", f"{n.up(2)} {d(2)} {n.up(3)}", f"{d(3)}-{n.up(3)}", f"{n.up(2)}-{d(3)}-{n.up(2)}",
                 f"{d(2)}-{n.up(1)}-{d(5)}", "".join(n.rng.choice(UP + "0123456789") for _ in range(17)),
                 f"{n.up(3)} {d(3)}{n.up(1)}")
    if kind == "DEVICE":
        return p("-".join(n.hexs(2, True) for _ in range(6)), ".".join(n.hexs(4) for _ in range(3)),
                 f"{d(2)}-{d(6)}-{d(6)}-{d(1)}", f"(01){d(14)}(17){d(6)}(21){n.up(3)}{d(6)}{n.up(1)}",
                 f"SN: {n.up(2)}{d(4)}-{d(4)}", f"{n.up(4)}{d(8)}")
    if kind == "URL":
        w = n.fake.domain_word()
        return p(f"https://{w}.org/patients/{d(5)}", f"ftp://files.{w}.net/{n.fake.user_name()}", f"bit.ly/{n.up(3)}{d(3)}",
                 f"{w}.com/~{n.fake.user_name()}", f"https://www.{w}.ie/u/{n.fake.user_name()}?ref={d(4)}")
    if kind == "IP":
        return p(f"10.{int(d(2))}.{int(d(3)) % 256}.{int(d(3)) % 256}", f"192.168.{int(d(2))}.{int(d(3)) % 256}",
                 f"fe80::{n.hexs(4)}:{n.hexs(4)}", f"2001:db8::{n.hexs(3)}", f"172.{16 + int(d(1))}.{int(d(2))}.{int(d(2))}")
    if kind == "BIOMETRIC":
        return p(f"RT-{n.hexs(16)}", f"GAIT-{d(4)}-{n.up(4)}", f"{n.hexs(32, True)}", f"FACEVEC {n.hexs(12)}",
                 f"DNA-{d(2)}-{d(6)}")
    if kind == "PHOTO":
        x = n.day()
        return p(f"Photo_{x:%Y-%m-%d}.heic", f"selfie_{n.last().lower()}.jpeg", f"scan{d(4)}.tiff", f"{n.first()}_{n.last()}.png",
                 f"face-{d(6)}.webp")
    if kind == "ID":
        return p(f"{2000 + int(d(2)) % 26}/{d(5)}", f"#{d(6)}-{n.up(2)}", f"{n.up(2)}{d(7)}", f"EMP-{d(5)}", f"{d(3)}-{d(3)}-{n.up(1)}")
    if kind == "FACILITY":
        c, l = n.fake.city(), n.last()
        return p(f"{l}-{n.last()} Klinik", f"Hôpital {l}", f"Centro de Salud {c}", f"{c} Polyclinic", f"Mercy {c}",
                 f"{l} Care Home", f"Royal {c} Infirmary", f"{c} Children's Hospital", f"Policlinico {l}")
    raise ValueError(kind)


def faker_value(n: Note, kind: str) -> str:
    """One identifier of `kind` drawn from Faker in the note's locale (new draws, not the first set's)."""
    f, r = n.fake, n.rng
    if kind == "NAME": return f.name() if r.random() < 0.6 else f.last_name()
    if kind == "LOCATION": return f.city()
    if kind == "ADDRESS": return f.address() if r.random() < 0.5 else f.street_address()
    if kind == "ZIP": return f.postcode()
    if kind == "DATE": return n.day().strftime(r.choice(["%d %B %Y", "%d/%m/%Y", "%B %d", "%Y-%m-%d", "%d.%m.%Y"]))
    if kind == "AGE": return str(r.randint(90, 106))
    if kind in ("PHONE", "FAX"): return f.phone_number()
    if kind == "EMAIL": return f.email()
    if kind == "SSN": return f.ssn()
    if kind in ("MRN", "HEALTH_PLAN", "LICENSE", "ID"):
        return f.bothify(r.choice(["??#######", "#########", "###-###-###", "?-######-#", "####?####"]), letters=UP)
    if kind == "ACCOUNT": return r.choice([f.iban(), f.bban(), f.credit_card_number()])
    if kind == "VEHICLE": return f.license_plate() if r.random() < 0.7 else f.vin()
    if kind == "DEVICE": return f.mac_address() if r.random() < 0.5 else f.uuid4()
    if kind == "URL": return r.choice([f.url(), f.uri()])
    if kind == "IP": return f.ipv4_public() if r.random() < 0.7 else f.ipv6()
    if kind == "BIOMETRIC": return f.sha256()[:24]
    if kind == "PHOTO": return f.file_name(category="image")
    if kind == "FACILITY": return f"{f.city()} {r.choice(['Hospital', 'Health Centre', 'Medical Center', 'Clinic'])}"
    raise ValueError(kind)


FRAMES = {
    "NAME": ["Collateral history from {}.", "{} attended with the patient.", "Next of kin is {}.", "Reviewed jointly with {}.",
             "Consent witnessed by {}.", "Nurse in charge {} informed.", "Her partner, {}, is the carer."],
    "LOCATION": ["Grew up in {}.", "Holidayed in {} last month.", "Lives on a farm near {}.", "Commutes daily from {}.",
                 "Repatriation to {} is being arranged."],
    "ADDRESS": ["Correspondence to {}.", "Now staying at {} with a friend.", "Key safe at {}.", "Home visit booked: {}.",
                "Previous address {} (until last year)."],
    "ZIP": ["Area code for transport booking: {}.", "Post code on file {}.", "Catchment check for {} done.", "PLZ {}"],
    "DATE": ["Last seen in clinic {}.", "Onset of jaundice {}.", "Booked for endoscopy on {}.", "Born {}.",
             "Fall at home on {}.", "Vaccinated {}."],
    "AGE": ["Frail, {} old per the referral.", "She is now {}.", "Documented age {}.", "Age at admission: {}.",
            "A {} lady from a care home."],
    "PHONE": ["Son's number {}.", "Ward can be reached on {}.", "Text reminders to {}.", "Landline {} (no voicemail).",
              "GP surgery telephone {}."],
    "FAX": ["Fax {} for the discharge letter.", "Faxed prescription to {}.", "Telefax: {}", "Send the report by facsimile to {}."],
    "EMAIL": ["E-mail address {}.", "Reply to {} with the plan.", "Results emailed to {}.", "Contact e-mail: {}"],
    "SSN": ["National insurance number {}.", "Tax ID {} on the form.", "Personal number {}.", "Identity no. {} checked."],
    "MRN": ["Unit number {}.", "Record no {}.", "EPR number {}.", "Case note number {}."],
    "HEALTH_PLAN": ["Insurance member number {}.", "Cover reference {}.", "Health insurance no. {}.", "Subscriber ID {}."],
    "ACCOUNT": ["Direct debit from {}.", "Bank account {} for the refund.", "Invoice to account {}.", "Paid by card {}."],
    "LICENSE": ["Nursing registration {}.", "Practising certificate {}.", "Driving licence number {}.", "GMC number {}."],
    "VEHICLE": ["Collided with car {}.", "Number plate {}.", "Chassis number {}.", "Motorbike registration {}."],
    "DEVICE": ["Monitor serial {}.", "Ventilator ID {}.", "Glucose meter number {}.", "Device UDI {}.", "Wi-Fi adapter {}."],
    "URL": ["Crowdfunding link {}.", "Shared her profile {}.", "Care notes uploaded to {}.", "Webpage {}."],
    "IP": ["Telehealth client address {}.", "Access logged from {}.", "Device gateway on {}."],
    "BIOMETRIC": ["Retina template {}.", "Gait signature {}.", "Facial template hash {}.", "Genetic profile ref {}."],
    "PHOTO": ["Wound photo of the face {}.", "Portrait file {}.", "Face image {} uploaded by the family."],
    "ID": ["Reference {}.", "Ticket {}.", "Membership number {}.", "Staff ID {}.", "Court order {}."],
    "FACILITY": ["Stepped down to {}.", "Dialysis at {}.", "Seen at {} overnight.", "Came by ambulance from {}."],
}


def identifier(n: Note, kind: str, design: dict) -> str:
    source = "spec" if n.rng.random() < 0.5 else "faker"
    value = design["spec"](n, kind) if source == "spec" else faker_value(n, kind)
    return n.rng.choice(design["frames"][kind]).format(n.v(kind, value, source))


def clinical(n: Note) -> str:
    """One sentence of clinical values (all kept by a scrubber)."""
    r, p = n.rng, n.pick
    ri, u = r.randint, r.uniform
    return p(f"Sodium {ri(120, 150)} mmol/L, urea {u(2, 30):.1f}, CRP {ri(1, 300)} mg/L.",
             f"NEWS2 {ri(0, 12)}, qSOFA {ri(0, 3)}.", f"Morphine {p(2.5, 5, 10)} mg SC 4-hourly PRN.",
             f"Bilirubin {ri(5, 400)} µmol/L, ALT {ri(10, 900)} U/L, ALP {ri(40, 700)} U/L.",
             f"Heart rate {ri(40, 160)}, BP {ri(80, 200)}/{ri(40, 110)}, temperature {u(35, 41):.1f} C.",
             f"Ejection fraction {ri(10, 70)}% on echo.", f"MMSE {ri(10, 30)}/30; 4AT score {ri(0, 12)}.",
             f"Dexamethasone {p(4, 6, 8)} mg daily for {ri(3, 10)} days.", f"Weight down {ri(2, 15)} kg in {ri(1, 12)} months.",
             f"PEF {ri(100, 600)} L/min, {ri(30, 100)}% of best.", f"Stage {p('T1N0M0', 'T2N1M0', 'T3N2M1')}; ECOG {ri(0, 4)}.",
             f"Hb {ri(60, 160)} g/L, MCV {ri(60, 110)} fL.", f"Fluid balance +{ri(100, 2000)} mL over 24 h.",
             f"Enoxaparin {p(20, 40, 80)} mg SC once daily.", f"Tumour {ri(5, 80)} mm at the hepatic flexure.",
             f"Potassium {u(2.5, 6.5):.1f}, magnesium {u(0.4, 1.2):.2f}.", f"Step count {ri(200, 9000)} per day.",
             f"Glasgow-Blatchford score {ri(0, 20)}.", f"Nil by mouth from 02:00; theatre at {ri(7, 17)}:00.",
             f"Levothyroxine {p(25, 50, 75, 100)} micrograms; TSH {u(0.1, 12):.1f} mU/L.",
             f"Peak flow {ri(150, 650)}; salbutamol {ri(2, 10)} puffs.", f"{ri(2, 9)} units of blood transfused.",
             f"AF with ventricular rate {ri(90, 170)}.", f"Braden score {ri(6, 23)}; Waterlow {ri(5, 30)}.",
             f"Drain output {ri(10, 500)} mL serous.", f"eGFR {ri(5, 120)}; ACR {u(0.5, 80):.1f} mg/mmol.")


HEADERS = ["Clinic letter", "Ward round entry", "ED attendance", "Community nursing record", "Advance care plan",
           "Multidisciplinary meeting", "Out-of-hours call", "Pre-operative assessment", "Safeguarding note",
           "Palliative care review"]
# What a set of this kind is made of; the third held-out set passes its own to note() and build().
DESIGN = {"id": "heldout-formats-2", "spec": spec_value, "frames": FRAMES, "clinical": clinical, "headers": HEADERS,
          "patients": ["Subject: {}", "Patient name - {}", "For: {}", "In the matter of {}"],
          "endings": ["End of entry.", "Plan agreed with the patient.", "No further action."]}


def note(i: int, rng: random.Random, design: dict) -> dict:
    loc = rng.choice(LOCALES)
    fake = Faker(loc)
    fake.seed_instance(rng.randint(0, 2**31))
    n = Note(rng, fake)
    head = rng.choice(design["headers"])
    patient = rng.choice(design["patients"])
    source = "spec" if rng.random() < 0.5 else "faker"
    patient = patient.format(n.v("NAME", design["spec"](n, "NAME") if source == "spec" else fake.name(), source))
    body = [(identifier(n, k, design), [n.sources.pop()]) for k in rng.sample(list(design["frames"]), 7)]
    body += [(design["clinical"](n), []) for _ in range(rng.randint(3, 5))]
    rng.shuffle(body)                      # the sentences with the sources of their identifiers, so both stay in order
    n.sources += [s for _, sources in body for s in sources]
    body = [sentence for sentence, _ in body]
    text = "\n".join([head, patient, *body, rng.choice(design["endings"])])
    return {"id": f"{design['id']}-{i:03d}", "locale": loc, "sources": n.sources, "text": text}


def build(seed: int = SEED, design: dict = DESIGN) -> str:
    rng = random.Random(seed)
    return "".join(json.dumps(note(i, rng, design), ensure_ascii=False) + "\n" for i in range(NOTES))


if __name__ == "__main__":
    write_or_check(build, OUT, NOTES)
