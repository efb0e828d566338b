"""Writes tests/data/phi_notes_heldout_formats.jsonl once: labelled clinical notes whose identifiers come from Faker
locales that no rule, word list or model in the package is fitted to, in note frames written for this set alone.

The set was written and frozen before the scrubber in meddialogue.safety.phi_* was developed; nothing was tuned on
it (see tests/data/README.md). Run it only to check that the committed file is what this script makes:

    python tests/data/make_phi_heldout_formats.py --check

Markup: `[[TYPE:text]]` with the types of meddialogue.safety.phi_categories (Safe Harbor's 18 categories and
facility names). Every digit outside a labelled span is a clinical value that must stay.
"""
import hashlib
import json
import os
import random
import re
import sys
from datetime import date
from pathlib import Path

from faker import Faker
from faker.config import AVAILABLE_LOCALES

SEED = 909090  # used for this set only
NOTES = 450
OUT = Path(__file__).with_name("phi_notes_heldout_formats.jsonl")


def heldout_locales() -> list[str]:
    """A third of the non-English languages (all their locales) and four English-speaking countries, by a fixed draw."""
    langs = sorted({l.split("_")[0] for l in AVAILABLE_LOCALES} - {"en"})
    random.Random(2028).shuffle(langs)
    held = set(langs[:len(langs) * 35 // 100])
    en = sorted(l for l in AVAILABLE_LOCALES if l.startswith("en_") and l not in ("en_US", "en_GB"))
    random.Random(2028).shuffle(en)
    return sorted([l for l in AVAILABLE_LOCALES if l.split("_")[0] in held] + en[:4])


UNITS = "one two three four five six seven eight nine".split()


def age_words(n, rng):
    if n < 100: return "ninety" if n == 90 else f"ninety{rng.choice(['-', ' '])}{UNITS[n - 91]}"
    if n == 100: return rng.choice(["one hundred", "a hundred"])
    return f"{rng.choice(['one hundred', 'a hundred'])}{rng.choice([' and ', ' '])}{UNITS[n - 101]}"


DATE_FORMATS = ["%d/%m/%Y", "%m/%d/%Y", "%Y-%m-%d", "%d.%m.%Y", "%d %b %Y", "%B %d, %Y", "%d-%b-%Y", "%b %d",
                "%d %B", "%Y/%m/%d", "%d.%m.%y", "%A %d %B", "%d-%m-%Y", "%b. %d, %Y", "%d %B %Y", "%m-%d-%Y",
                "%B %Y", "%d/%m/%y", "ORD %B", "%B ORD, %Y", "%Y%m%d", "%a %d/%m"]


def ordinal(n):
    return f"{n}{'th' if 11 <= n % 100 <= 13 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


class Note:
    def __init__(self, rng, fake):
        self.rng, self.fake = rng, fake

    def v(self, kind, text):
        text = " ".join(str(text).replace("\n", ", ").split())
        assert "]" not in text and "[" not in text, text
        return f"[[{kind}:{text}]]"

    def pick(self, *xs): return self.rng.choice(xs)

    def first(self): return self.fake.first_name()
    def last(self): return self.fake.last_name()
    def full(self): return f"{self.first()} {self.last()}"

    def date(self):
        d = self.fake.date_between_dates(date(1984, 1, 1), date(2025, 12, 31))
        f = self.rng.choice(DATE_FORMATS)
        return d.strftime(f.replace("ORD", ordinal(d.day)))

    def code(self, patterns):
        return self.fake.bothify(self.rng.choice(patterns), letters="ABCDEFGHJKLMNPRSTUVWXYZ")


def identifier(n: Note, cat: str) -> str:
    """One sentence that holds one identifier of category `cat` (and sometimes a second)."""
    r, v, p = n.rng, n.v, n.pick
    if cat == "NAME":
        return p(f"Seen together with her husband {v('NAME', n.first())}.",
                 f"{v('NAME', n.full())} was reviewed on the ward round.",
                 f"Emergency contact: {v('NAME', n.full())} (brother).",
                 f"Discussed with Dr {v('NAME', n.last())} from the renal team.",
                 f"Signed: {v('NAME', n.full())}, RN",
                 f"Per {v('NAME', n.first())}'s daughter, he has been more confused.",
                 f"Interpreter {v('NAME', n.full())} present throughout.",
                 f"ATTENDING: {v('NAME', n.last().upper())}",
                 f"Ms {v('NAME', n.last())} declined the flu vaccine.",
                 f"Care coordinator {v('NAME', n.first())} will phone tomorrow.",
                 f"Letter copied to {v('NAME', n.full())}, GP.",
                 f"Mother ({v('NAME', n.full())}) gave the history.",
                 f"Neighbour {v('NAME', n.first())} found him on the floor.",
                 f"Handed over to {v('NAME', n.first())} on the night shift.")
    if cat == "LOCATION":
        c = v("LOCATION", n.fake.city())
        return p(f"Lives alone in {c}.", f"Moved here from {c} two years ago.", f"Recently travelled to {c} for a wedding.",
                 f"Works at a warehouse in {c}.", f"Born in {c}.", f"Transfer requested to a unit closer to {c}.",
                 f"{v('LOCATION', n.last() + ' County')} social services are involved.",
                 f"Family live in {c}, about an hour away.", f"Ambulance collected her in {c}.")
    if cat == "ADDRESS":
        if r.random() < 0.5:
            return p(f"Home address: {v('ADDRESS', n.fake.address())}",
                     f"Discharge destination: {v('ADDRESS', n.fake.address())}")
        return p(f"Lives at {v('ADDRESS', n.fake.street_address())}, {v('LOCATION', n.fake.city())}, with her son.",
                 f"Address {v('ADDRESS', n.fake.street_address())}, {v('ZIP', n.fake.postcode())} {v('LOCATION', n.fake.city())}.",
                 f"Meals on wheels to {v('ADDRESS', n.fake.street_address())}.",
                 f"District nurse visits at {v('ADDRESS', n.fake.street_address())} twice weekly.")
    if cat == "ZIP":
        z = v("ZIP", n.fake.postcode())
        return p(f"Postcode {z}.", f"ZIP code: {z}", f"Postal code {z} is outside our catchment area.",
                 f"Registered at {v('ADDRESS', n.fake.street_address())}, {z}.", f"Lives in the {z} area.")
    if cat == "DATE":
        d = v("DATE", n.date())
        return p(f"Date of birth: {d}", f"Admitted on {d} with a fall.", f"Last colonoscopy {d}.",
                 f"Surgery booked for {d}.", f"Symptoms began {d}.", f"Date of death {d}.",
                 f"Previous admission ({d}) for sepsis.", f"Review in clinic on {d}.", f"Immunisations up to date as of {d}.")
    if cat == "AGE":
        a = r.randint(90, 109)
        t = str(a) if r.random() < 0.5 else age_words(a, r)
        return p(f"{v('AGE', t[0].upper() + t[1:])}-year-old woman with a hip fracture.",
                 f"Patient is {v('AGE', t)} years old and lives independently.",
                 f"Aged {v('AGE', t)}, still drives.", f"A {v('AGE', t)} yo man with delirium.",
                 f"He is {v('AGE', t)} and has capacity.", f"Age: {v('AGE', t)}",
                 f"Her sister died aged {v('AGE', t)}.", f"This {v('AGE', t)}-yr-old retired teacher.",
                 f"Celebrated turning {v('AGE', t)} last month.")
    if cat == "PHONE":
        ph = v("PHONE", n.fake.phone_number())
        return p(f"Tel: {ph}", f"Call the daughter on {ph}.", f"Mobile {ph} (preferred).", f"Contact number: {ph}",
                 f"Please ring {ph} with results.", f"Pharmacy phone {ph}.", f"Reached at {ph} after two attempts.")
    if cat == "FAX":
        fx = v("FAX", n.fake.phone_number())
        return p(f"Fax: {fx}", f"Results faxed to {fx}.", f"Referral sent by fax to {fx}.", f"F: {fx}",
                 f"Fax no. {fx} (surgery).")
    if cat == "EMAIL":
        e = v("EMAIL", n.fake.email())
        return p(f"Email: {e}", f"Prefers contact by email ({e}).", f"Copy of the letter sent to {e}.",
                 f"Daughter's email {e}.", f"Portal messages go to <{e}>.")
    if cat == "SSN":
        s = v("SSN", n.fake.ssn())
        return p(f"National ID: {s}", f"SSN {s}", f"Social insurance number {s}.", f"Personal identity number {s}.",
                 f"ID card number: {s}", f"Citizen number {s} verified at registration.")
    if cat == "MRN":
        m = v("MRN", n.code(["########", "??-######", "#######-?", "?#######", "#### ### ###", "???######", "##-##-####"]))
        return p(f"MRN: {m}", f"Hosp# {m}", f"Hospital number {m}.", f"UR {m}", f"Patient number {m}.",
                 f"Chart no. {m}", f"Medical record {m} merged with duplicate.")
    if cat == "HEALTH_PLAN":
        h = v("HEALTH_PLAN", n.code(["???#########", "##########", "#-####-###-##", "?##-###-####", "#### ##### #",
                                      "??########?", "###.###.###"]))
        return p(f"Member ID {h}.", f"Insurance policy {h}.", f"Medicaid #{h}", f"Health card {h}.",
                 f"Plan no. {h} (dental not covered).", f"Beneficiary number: {h}", f"Insurer reference {h} for the claim.")
    if cat == "ACCOUNT":
        a = v("ACCOUNT", r.choice([n.fake.iban(), n.fake.bban(), n.fake.credit_card_number(),
                                   n.code(["ACC-#######", "##########", "?-########"])]))
        return p(f"Billing account {a}.", f"IBAN {a}", f"Account number: {a}", f"Card on file {a}.",
                 f"Co-payment debited from account {a}.", f"Patient account {a} (self-pay).")
    if cat == "LICENSE":
        l = v("LICENSE", n.code(["?#######", "??######", "#########", "?###-####-####", "##-???-####", "?? ## ## ##",
                                 "???#####"]))
        return p(f"Driver's licence {l}.", f"DL# {l}", f"Medical licence {l}.", f"DEA {l}",
                 f"Death certificate no. {l}.", f"Registration PIN {l} (nurse).", f"Certificate number {l}.",
                 f"Firearms licence {l} surrendered.")
    if cat == "VEHICLE":
        x = v("VEHICLE", n.fake.license_plate() if r.random() < 0.7 else n.fake.vin())
        return p(f"Driver of car reg {x}.", f"Licence plate {x}.", f"Vehicle registration: {x}",
                 f"VIN {x}", f"Arrived in a taxi, plate {x}.", f"Her scooter ({x}) was damaged.",
                 f"Police noted the vehicle {x} at the scene.")
    if cat == "DEVICE":
        choice = r.random()
        x = v("DEVICE", n.fake.mac_address() if choice < 0.3 else n.fake.uuid4() if choice < 0.4 else
              n.code(["??#######?", "###-####-##", "?##?######", "#########", "SN????####", "??-###-####-??"]))
        return p(f"Pacemaker serial {x}.", f"Insulin pump S/N {x}", f"Hardware address {x} (home monitor).",
                 f"Device ID: {x}", f"CGM transmitter {x} replaced.", f"Hearing aid serial number {x}.",
                 f"Tablet MAC {x} registered for telehealth.", f"Implant serial {x} recorded in the registry.")
    if cat == "URL":
        u = v("URL", r.choice([n.fake.url(), n.fake.uri(), "www." + n.fake.domain_name()]))
        return p(f"Patient portal: {u}", f"Shared the video link {u}.", f"See {u} for the care plan.",
                 f"Blog about her illness at {u}.", f"Fundraiser page {u}.")
    if cat == "IP":
        ip = v("IP", n.fake.ipv4() if r.random() < 0.7 else n.fake.ipv6())
        return p(f"Video visit from IP {ip}.", f"Login from {ip} flagged.", f"Home hub at {ip}.",
                 f"Remote monitoring gateway {ip}.")
    if cat == "BIOMETRIC":
        b = v("BIOMETRIC", r.choice([n.fake.sha1()[:20], n.fake.md5(), n.code(["FP-####-????", "IRIS-##########",
                                                                                 "VP######", "??-#####-#"])]))
        return p(f"Fingerprint template {b}.", f"Iris scan code {b}", f"Voiceprint ID {b}.",
                 f"Palm vein reference {b}.", f"Retinal scan hash {b}.", f"DNA profile number {b}.")
    if cat == "PHOTO":
        d = n.fake.date_between_dates(date(2019, 1, 1), date(2025, 12, 31))
        f = r.choice([f"IMG_{d:%Y%m%d}_{r.randint(0, 235959):06d}.jpg", f"DSC{r.randint(0, 99999):05d}.JPG",
                      f"PXL_{d:%Y%m%d}_{r.randint(0, 999999999):09d}.jpg", f"face_{n.last().lower()}.png",
                      f"{n.fake.uuid4()}.jpeg"])
        ph = v("PHOTO", f)
        return p(f"Full-face photograph {ph} on file.", f"Clinical photo of the face saved as {ph}.",
                 f"Facial photo uploaded ({ph}).", f"ID photo {ph} attached to the record.",
                 f"Photograph of the patient's face: {ph}")
    if cat == "ID":
        x = v("ID", r.choice([n.fake.passport_number(), n.code(["E######", "??-#####", "#####/##", "????-####"])]))
        return p(f"Passport {x}.", f"Employee ID {x}.", f"Student number {x}.", f"Case number {x}.",
                 f"Claim {x} opened.", f"Badge {x}", f"Study participant {x}.", f"Prison number {x}.")
    if cat == "FACILITY":
        c, l, fn = n.fake.city(), n.last(), n.first()
        f = v("FACILITY", r.choice([f"{c} General Hospital", f"{c} Regional Medical Centre", f"St. {fn}'s Hospital",
                                     f"{l} Memorial Hospital", f"{c} Community Health Center", f"{l} Nursing Home",
                                     f"{c} Infirmary", f"{l} Family Practice", f"{c} Rehabilitation Centre",
                                     f"{l} Hospice", f"Klinikum {c}", f"Hospital {l}", f"Clinique {l}",
                                     f"{c} Urgent Care", f"{l} Medical Group", f"Ospedale {c}"]))
        return p(f"Transferred from {f}.", f"Followed by cardiology at {f}.", f"Outside records from {f} reviewed.",
                 f"Discharged to {f} for rehabilitation.", f"Previously treated at {f}.", f"Lab results from {f}.",
                 f"{f} emergency department sent her in.")
    raise ValueError(cat)


def clinical(n: Note) -> str:
    """One sentence of clinical values (all kept by a scrubber)."""
    r, p = n.rng, n.pick
    ri, u = r.randint, r.uniform
    return p(f"BP {ri(90, 180)}/{ri(50, 100)} mmHg, HR {ri(50, 130)} bpm, RR {ri(12, 30)}/min, SpO2 {ri(88, 100)}% on {ri(1, 6)} L/min.",
             f"Temp {u(35.5, 40):.1f}°C.", f"T {u(97, 104):.1f} F, pulse {ri(60, 120)}.",
             f"Hb {u(7, 16):.1f} g/dL, WCC {u(2, 25):.1f} x10^9/L, plt {ri(40, 500)}, Na {ri(125, 150)}, K {u(2.8, 6):.1f}.",
             f"Creatinine {ri(50, 400)} µmol/L, eGFR {ri(10, 90)} mL/min/1.73m2.",
             f"HbA1c {u(5, 12):.1f}% ({ri(30, 110)} mmol/mol).",
             f"Started metoprolol {p(25, 50, 100)} mg PO BID and furosemide {p(20, 40, 80)} mg IV q12h.",
             f"Insulin glargine {ri(6, 40)} units at {ri(18, 23)}:{p('00', '30')}.",
             f"Amoxicillin-clavulanate 875/125 mg twice daily for {ri(5, 10)} days.",
             f"Pain score {ri(0, 10)}/10; GCS {ri(9, 15)}/15 (E{ri(1, 4)}V{ri(1, 5)}M{ri(1, 6)}).",
             f"Weight {u(40, 130):.1f} kg, height {ri(140, 195)} cm, BMI {u(16, 45):.1f} kg/m².",
             f"EF {ri(15, 65)}%; LVEDD {ri(40, 70)} mm.", f"CURB-65 score {ri(0, 5)}; Wells score {ri(0, 9)}.",
             "Paracetamol 1 g QDS PRN, max 4 g/24h.", f"Urine output {ri(100, 2500)} mL over {ri(4, 24)} h.",
             f"ECOG {ri(0, 4)}, Karnofsky {p(40, 50, 60, 70, 80, 90)}%.",
             f"Lesion measures {u(0.5, 6):.1f} x {u(0.5, 6):.1f} cm at {ri(1, 12)} o'clock.",
             f"Disc protrusion at L{(k := ri(1, 4))}-L{k + 1}.", f"Troponin {ri(3, 900)} ng/L at 0 h and {ri(3, 900)} ng/L at 3 h.",
             f"INR {u(0.9, 5):.1f}; warfarin {ri(1, 10)} mg nocte.",
             f"FEV1 {u(0.6, 4):.2f} L ({ri(25, 110)}% predicted), FEV1/FVC {u(0.4, 0.85):.2f}.",
             f"Gleason {(a := ri(3, 5))}+{(b := ri(3, 5))}={a + b}, PSA {u(0.5, 80):.1f} ng/mL.",
             f"QTc {ri(380, 520)} ms.", f"Coded as I50.{ri(1, 9)} and E11.{ri(1, 9)}.",
             f"Smoked {ri(5, 60)} pack-years; quit in {ri(1975, 2022)}.", f"Diagnosed with type 2 diabetes in {ri(1980, 2023)}.",
             f"{ri(1, 6)} of 12 cores positive.", f"Oxygen weaned from {ri(4, 8)} to {ri(1, 3)} L.",
             f"Lactate {u(0.5, 9):.1f} mmol/L, pH {u(7.05, 7.5):.2f}, pCO2 {u(3, 9):.1f} kPa.",
             f"Apgar {ri(3, 9)} and {ri(6, 10)} at 1 and 5 minutes.", f"G{(g := ri(1, 6))}P{ri(0, g)}.",
             "Naloxone 0.4 mg IV, repeat every 2-3 min.", f"Vancomycin trough {u(5, 25):.1f} mg/L.",
             f"Run of {ri(4, 30)} beats of NSVT.", "Gentamicin 5 mg/kg q24h.", f"ASA class {ri(1, 4)}, Mallampati {ri(1, 4)}.",
             f"Clinical Frailty Scale {ri(2, 8)}.", f"The {ri(18, 89)}-year-old was alert.",
             f"Arrived at {ri(0, 23):02d}:{ri(0, 59):02d}, triaged at {ri(0, 23):02d}:{ri(0, 59):02d}.",
             f"Blood glucose {u(2.5, 25):.1f} mmol/L, ketones {u(0, 5):.1f}.", f"Sertraline {p(50, 100, 150)} mg once daily.",
             f"Ferritin {ri(5, 900)} µg/L, B12 {ri(100, 900)} ng/L, folate {u(2, 20):.1f}.",
             f"CD4 count {ri(50, 1200)} cells/µL, viral load <{p(20, 40, 50)} copies/mL.",
             f"Walks {ri(50, 800)} m with a frame; {ri(1, 3)} falls in {ri(2, 12)} months.",
             f"Mg {u(0.5, 1.2):.2f}, PO4 {u(0.5, 1.8):.2f}, adjusted Ca {u(2.0, 2.8):.2f} mmol/L.")


HEADERS = ["DISCHARGE SUMMARY", "Progress note", "Telephone encounter", "Transfer letter", "Ambulance handover",
           "Outpatient review", "Pharmacy reconciliation", "Social work note", "Nursing admission assessment",
           "Referral letter", "Telehealth visit", "Incident report"]
CATEGORIES = ["NAME", "LOCATION", "ADDRESS", "ZIP", "DATE", "AGE", "PHONE", "FAX", "EMAIL", "SSN", "MRN", "HEALTH_PLAN",
              "ACCOUNT", "LICENSE", "VEHICLE", "DEVICE", "URL", "IP", "BIOMETRIC", "PHOTO", "ID", "FACILITY"]


def note(i: int, rng: random.Random, locales: list[str]) -> dict:
    loc = rng.choice(locales)
    fake = Faker(loc)
    fake.seed_instance(rng.randint(0, 2**31))
    n = Note(rng, fake)
    head = rng.choice(HEADERS)
    patient = rng.choice([f"Patient: {n.v('NAME', n.last().upper())}, {n.v('NAME', n.first())}",
                          f"Name: {n.v('NAME', n.full())}", f"Pt {n.v('NAME', n.full())}",
                          f"Re: {n.v('NAME', n.full())}, DOB {n.v('DATE', n.date())}"])
    cats = rng.sample(CATEGORIES, 7)
    body = [identifier(n, c) for c in cats] + [clinical(n) for _ in range(rng.randint(3, 5))]
    rng.shuffle(body)
    sign = rng.choice([f"-- {n.v('NAME', n.full())}", f"Electronically signed by {n.v('NAME', n.full())}, MD",
                       f"{n.v('NAME', n.first())} {n.v('NAME', n.last())} (physio)", "Dictated, not read."])
    return {"id": f"heldout-formats-{i:03d}", "locale": loc, "text": "\n".join([head, patient, *body, sign])}


def build() -> str:
    rng = random.Random(SEED)
    locales = heldout_locales()
    return "".join(json.dumps(note(i, rng, locales), ensure_ascii=False) + "\n" for i in range(NOTES))


def write_or_check(build, out: Path, notes: int) -> None:
    """Write `build()` to `out`, or with --check say whether `out` is what it makes; Faker runs with hash seed 0."""
    if os.environ.get("PYTHONHASHSEED") != "0":  # some Faker locales draw from sets: fix their order
        os.execve(sys.executable, [sys.executable, *sys.argv], {**os.environ, "PYTHONHASHSEED": "0"})
    text = build()
    digest = hashlib.sha256(text.encode()).hexdigest()
    if "--check" in sys.argv:
        # Faker's pl_PL and sr_BA SSNs encode a birth date drawn up to the current time, so their digits change with
        # the day the script runs; everything else must be the same byte for byte.
        clock = re.compile(r"\[\[SSN:[^\]]*\]\]")
        def masked(line): return clock.sub(lambda m: re.sub(r"\d", "0", m.group()), line)
        old, new = out.read_text(encoding="utf-8").splitlines(), text.splitlines()
        differ = [i for i, (a, b) in enumerate(zip(old, new)) if a != b]
        same = len(old) == len(new) and all(masked(old[i]) == masked(new[i]) for i in differ)
        print(("same as committed" if not differ else f"same as committed but the SSN digits of {len(differ)} notes "
               "(Faker's clock)") if same else "DIFFERENT from committed", digest)
        sys.exit(0 if same else 1)
    out.write_text(text, encoding="utf-8")
    print(f"wrote {out.name}: {notes} notes, sha256 {digest}")


if __name__ == "__main__":
    write_or_check(build, OUT, NOTES)
