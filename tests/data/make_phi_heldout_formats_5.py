"""Held-out PHI set 5: 400 short clinical notes with 3,200 labelled identifiers in formats chosen for variety.

What it is
    Every note (a header line, a patient line, then a few sentences) carries eight identifiers, each marked
    ``[[TAG:value]]`` with TAG one of the 22 ``PHI_TAGS``; every tag occurs 144 or 146 times. Half of each tag's
    identifiers are Faker draws in the note's locale (one of ``HELDOUT_LOCALES``); the other half follow format
    specifications invented for this set (national identity and health-insurance numbers, hospital record layouts,
    driving licences, VINs and plates of many countries, UDI/IMEI serials, biometric template ids, photo file names,
    ages over 89 in words of several languages, dates in many layouts and languages, flats, floors, rural routes...).
    ``sources`` gives "faker" or "spec" for each label, in text order. Every digit outside a label is a clinical
    value (vital sign, lab result, score, dose, duration) that a scrubber should keep.

How it was kept apart
    Written by an author who had not read the scrubber's rules, its tests or the earlier held-out sets, and frozen
    before any change to the scrubber it is meant to measure. Do not tune rules on it.

Reproducing
    SEED = 616161: one ``random.Random(SEED)``, per-note generators derived from it, Faker re-seeded per note with
    ``seed_instance``; Faker methods that read today's date are avoided or given fixed dates, and lists Faker
    builds from a set are sorted, so the bytes depend neither on the day nor on PYTHONHASHSEED.

        python make_phi_heldout_formats_5.py           # writes phi_notes_heldout_formats_5.jsonl
        python make_phi_heldout_formats_5.py --check   # exit 0 if the committed file is byte-identical, else 1

Markup
    ``[[TAG:value]]`` (value without "[" or "]"); ``parse_phi_labels`` from ``meddialogue.safety.phi_categories``
    returns the plain text and the labelled spans.
"""
from __future__ import annotations

import importlib.util
import json
import random
import string
import sys
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

from faker import VERSION as FAKER_VERSION
from faker import Faker

try:
    from meddialogue.core.files import write_text_atomic
    from meddialogue.safety.phi_categories import HELDOUT_LOCALES, PHI_TAGS, SAFE_HARBOR, parse_phi_labels
except ModuleNotFoundError:  # run from tests/data without the package installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from meddialogue.core.files import write_text_atomic
    from meddialogue.safety.phi_categories import HELDOUT_LOCALES, PHI_TAGS, SAFE_HARBOR, parse_phi_labels

SEED = 616161
N_NOTES, PER_NOTE = 400, 8
OUT = Path(__file__).with_name("phi_notes_heldout_formats_5.jsonl")
ID_PREFIX = "heldout-formats-5"

UP, LOW, DIG = string.ascii_uppercase, string.ascii_lowercase, string.digits
HEX = "0123456789abcdef"


def num(r: random.Random, n: int) -> str:
    return "".join(r.choice(DIG) for _ in range(n))


def num1(r: random.Random, n: int) -> str:
    """n digits, the first not zero."""
    return str(r.randint(1, 9)) + num(r, n - 1)


def caps(r: random.Random, n: int, pool: str = UP) -> str:
    return "".join(r.choice(pool) for _ in range(n))


def mixed(r: random.Random, n: int) -> str:
    return caps(r, n, UP + DIG)


def hexs(r: random.Random, n: int) -> str:
    return caps(r, n, HEX)


def pick(r: random.Random, options: str | tuple) -> str:
    return r.choice(options.split("|") if isinstance(options, str) else options)


def some_day(r: random.Random, first: int = 1925, last: int = 2024) -> date:
    return date.fromordinal(r.randint(date(first, 1, 1).toordinal(), date(last, 12, 31).toordinal()))


def luhn_digit(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str((10 - total % 10) % 10)


def with_luhn(r: random.Random, prefix: str, length: int) -> str:
    body = prefix + num(r, length - len(prefix) - 1)
    return body + luhn_digit(body)


def nhs_number(r: random.Random) -> str:
    while True:
        d = num1(r, 9)
        check = 11 - sum(int(x) * (10 - i) for i, x in enumerate(d)) % 11
        if check != 10:
            d += "0" if check == 11 else str(check)
            return f"{d[:3]} {d[3:6]} {d[6:]}"


VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
VIN_VALUE = {**{str(i): i for i in range(10)}, **dict(zip("ABCDEFGH", range(1, 9))), **dict(zip("JKLMN", range(1, 6))),
             "P": 7, "R": 9, **dict(zip("STUVWXYZ", range(2, 10)))}
VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def vin(r: random.Random) -> str:
    body = (pick(r, "WVW|JHM|1HG|VF1|ZFA|SAL|YV1|KMH|TMB|MAL|9BW|LSV|SJN") + caps(r, 5, VIN_CHARS) + "0"
            + caps(r, 1, "ABCDEFGHJKLMNPRSTVWXY123456789") + caps(r, 1, VIN_CHARS) + num(r, 6))
    check = sum(VIN_VALUE[c] * w for c, w in zip(body, VIN_WEIGHTS)) % 11
    return body[:8] + ("X" if check == 10 else str(check)) + body[9:]


def imei(r: random.Random) -> str:
    return with_luhn(r, pick(r, "35|86|01|49"), 15)


def french_nir(r: random.Random) -> str:
    d = some_day(r, 1925, 2005)
    body = f"{r.randint(1, 2)}{d.year % 100:02d}{d.month:02d}{r.randint(1, 95):02d}{num(r, 3)}{num(r, 3)}"
    key = 97 - int(body) % 97
    return f"{body[0]} {body[1:3]} {body[3:5]} {body[5:7]} {body[7:10]} {body[10:13]} {key:02d}"


def spanish_dni(r: random.Random) -> str:
    n = num1(r, 8)
    return n + "TRWAGMYFPDXBNJZSQVHLCKE"[int(n) % 23]


def spanish_nie(r: random.Random) -> str:
    lead, n = r.choice("XYZ"), num(r, 7)
    return f"{lead}{n}" + "TRWAGMYFPDXBNJZSQVHLCKE"[int("XYZ".index(lead) * 10 ** 7 + int(n)) % 23]


def brazil_cpf(r: random.Random) -> str:
    d = [int(c) for c in num(r, 9)]
    for size in (10, 11):
        s = sum(x * w for x, w in zip(d, range(size, 1, -1))) % 11
        d.append(0 if s < 2 else 11 - s)
    s = "".join(map(str, d))
    return f"{s[:3]}.{s[3:6]}.{s[6:9]}-{s[9:]}"


def finnish_hetu(r: random.Random) -> str:
    d = some_day(r, 1925, 2015)
    head, serial = f"{d.day:02d}{d.month:02d}{d.year % 100:02d}", f"{r.randint(2, 899):03d}"
    return head + ("-" if d.year < 2000 else "A") + serial + "0123456789ABCDEFHJKLMNPRSTUVWXY"[int(head + serial) % 31]


def chinese_resident_id(r: random.Random) -> str:
    d = some_day(r, 1925, 2010)
    body = f"{num1(r, 6)}{d:%Y%m%d}{num(r, 3)}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, weights)) % 11]


def chile_rut(r: random.Random) -> str:
    n = r.randint(5_000_000, 25_999_999)
    total = sum(int(c) * w for c, w in zip(reversed(str(n)), (2, 3, 4, 5, 6, 7) * 2))
    dv = {11: "0", 10: "K"}.get(11 - total % 11, str(11 - total % 11))
    return f"{n:,}".replace(",", ".") + "-" + dv


def south_african_id(r: random.Random) -> str:
    d = some_day(r, 1925, 2005)
    return with_luhn(r, f"{d.year % 100:02d}{d.month:02d}{d.day:02d}{num(r, 4)}08", 13)


def npi(r: random.Random) -> str:
    body = pick(r, "1|2") + num(r, 8)
    return body + luhn_digit("80840" + body)


def dea_number(r: random.Random) -> str:
    d = [int(c) for c in num(r, 6)]
    check = (d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5])) % 10
    return pick(r, "A|B|F|M") + caps(r, 1) + "".join(map(str, d)) + str(check)


def uk_driving_licence(r: random.Random) -> str:
    d = some_day(r, 1930, 2004)
    month = d.month + (50 if r.random() < 0.5 else 0)
    surname = pick(r, SURNAMES_ASCII).upper()[:5].ljust(5, "9")
    initials = (caps(r, 1) + pick(r, ("9",) + tuple(UP)))
    return f"{surname}{str(d.year)[2]}{month:02d}{d.day:02d}{str(d.year)[3]}{initials}{r.randint(0, 9)}{caps(r, 2)}"


def us_mbi(r: random.Random) -> str:
    letters = "ACDEFGHJKMNPQRTUVWXY"
    an = letters + DIG
    s = (str(r.randint(1, 9)) + caps(r, 1, letters) + caps(r, 1, an) + num(r, 1) + caps(r, 1, letters)
         + caps(r, 1, an) + num(r, 1) + caps(r, 2, letters) + num(r, 2))
    return f"{s[:4]}-{s[4:7]}-{s[7:]}"


def gs1_udi(r: random.Random) -> str:
    d = some_day(r, 2024, 2031)
    return f"(01){num(r, 14)}(17){d:%y%m%d}(10){mixed(r, 6)}(21){num(r, 8)}"


GIVEN = ("Margaret", "Harold", "Chiamaka", "Oluwaseun", "Lakshmi", "Arjun", "Guadalupe", "Rodrigo", "Noura",
         "Khalid", "Søren", "Ingrid", "Ayşe", "Emre", "Zsófia", "Bence", "Haruto", "Efua", "Kwame", "Siobhán",
         "Cathal", "Tahmina", "Imran", "Femke", "Joost", "Oksana", "Bohdan", "Valentina", "Agustín", "Winifred")
SURNAMES = ("Pemberton", "Okonkwo", "Adeyemi", "Ramasamy", "Chowdhury", "Villalobos", "Quispe", "Haddad", "Nørgaard",
            "Lindqvist", "Öztürk", "Kovács", "Nguyen", "Tanaka", "Mensah", "Boateng", "Nwosu", "Siddiqui",
            "Bondarenko", "Melnyk", "Echeverría", "Whitfield", "Hargreaves", "Bhattacharya", "Mkhabela",
            "Rakotomalala", "Tuilagi", "Abernethy")
GIVEN_ASCII = ("margaret", "harold", "chiamaka", "lakshmi", "arjun", "rodrigo", "noura", "khalid", "ingrid", "emre",
               "bence", "efua", "kwame", "cathal", "imran", "femke", "oksana", "valentina", "winifred", "tomasz")
SURNAMES_ASCII = ("pemberton", "okonkwo", "ramasamy", "chowdhury", "villalobos", "haddad", "lindqvist", "mensah",
                  "boateng", "siddiqui", "bondarenko", "whitfield", "hargreaves", "mkhabela", "abernethy", "kowalczyk")
ARABIC_MALE = ("Khalid", "Yousef", "Omar", "Faisal", "Tariq", "Hamdan")
ARABIC_FEMALE = ("Noura", "Mariam", "Huda", "Reem")
ARABIC_FATHERS = ("Abdullah", "Saeed", "Rashid", "Nasser", "Hamad", "Salem")
ARABIC_FAMILIES = ("Al-Harthy", "Al-Mansoori", "Al-Qahtani", "Haddad", "Khoury", "Nasrallah", "Al-Zaabi", "Bou Saab")
NICKNAMES = ("Bobby", "Peggy", "Tommo", "Lulu", "Chuy", "Sasha", "Kofi", "Bertie")


def name_arabic(r: random.Random) -> str:
    if r.random() < 0.5:
        return f"{pick(r, ARABIC_MALE)} bin {pick(r, ARABIC_FATHERS)} {pick(r, ARABIC_FAMILIES)}"
    return f"{pick(r, ARABIC_FEMALE)} bint {pick(r, ARABIC_FATHERS)} {pick(r, ARABIC_FAMILIES)}"


def name_icelandic(r: random.Random) -> str:
    father = pick(r, "Sigurðar|Einars|Magnús|Páls|Stefáns|Þorsteins|Gunnars|Jóns")
    if r.random() < 0.5:
        return f"{pick(r, 'Guðrún|Sigríður|Þórdís|Hrafnhildur')} {father}dóttir"
    return f"{pick(r, 'Jón|Gunnar|Ólafur|Bjarki')} {father}son"


def name_slavic(r: random.Random) -> str:
    if r.random() < 0.5:
        given, patro, sur = pick(r, "Ivan|Mykola|Bohdan|Serhii"), pick(r, "Petrovych|Ivanovych|Mykolaiovych"), \
            pick(r, "Shevchenko|Kovalenko|Bondarenko|Melnyk|Tkachuk")
    else:
        given, patro, sur = pick(r, "Olena|Tetiana|Oksana|Lyudmila"), pick(r, "Petrivna|Ivanivna|Serhiivna"), \
            pick(r, "Shevchenko|Kovalenko|Sidorova|Kuznetsova|Tkachuk")
    return f"{sur} {given} {patro}" if r.random() < 0.5 else f"{given} {patro} {sur}"


def name_irish(r: random.Random) -> str:
    pairs = (("Seán", "Ó Briain"), ("Pádraig", "Mac Cárthaigh"), ("Cathal", "Ó Súilleabháin"),
             ("Siobhán", "Ní Bhriain"), ("Aoife", "Nic Cárthaigh"), ("Niamh", "Ní Dhomhnaill"), ("Eoghan", "Ó Dónaill"))
    given, surname = r.choice(pairs)
    return f"{given} {surname}"


NAME_SPECS = {
    "surname_caps_comma_given": lambda r: f"{pick(r, SURNAMES).upper()}, {pick(r, GIVEN)}",
    "given_initial_surname": lambda r: f"{pick(r, GIVEN)} {caps(r, 1)}. {pick(r, SURNAMES)}",
    "initials_surname": lambda r: f"{caps(r, 1)}.{caps(r, 1)}. {pick(r, SURNAMES)}",
    "hispanic_two_surnames": lambda r: f"{pick(r, 'María José|Juan Carlos|Lucía|Ximena|Mateo|Josefina')} "
                                       f"{pick(r, 'García|Quispe|Mamani|Ocampo|Restrepo')}"
                                       f"{pick(r, ' | y | de ')}{pick(r, 'Zúñiga|Barrientos|Cifuentes|Arancibia')}",
    "arabic_nasab": name_arabic,
    "icelandic_patronymic": name_icelandic,
    "east_slavic_patronymic": name_slavic,
    "east_asian_family_first": lambda r: f"{pick(r, 'ZHANG|WANG|LI|NGUYEN|TRAN|PARK|KIM|TANAKA|SATO')} "
                                         f"{pick(r, 'Wei|Xiaoling|Thi Lan|Van Minh|Ji-woo|Seo-yeon|Yui|Mei Ling')}",
    "dutch_particle": lambda r: f"{pick(r, 'Joost|Anneke|Pieter|Femke|Sanne|Willem')} "
                                f"{pick(r, 'van der|de|van den|ter|van het')} {pick(r, 'Berg|Vries|Heuvel|Brink|Wal')}",
    "irish_gaelic": name_irish,
    "quoted_nickname": lambda r: f'{pick(r, GIVEN)} "{pick(r, NICKNAMES)}" {pick(r, SURNAMES)}',
    "double_barrelled": lambda r: f"{pick(r, GIVEN)} {pick(r, SURNAMES)}-{pick(r, SURNAMES)}",
    "hungarian_family_first": lambda r: f"{pick(r, 'Kovács|Nagy|Szabó|Tóth|Horváth')} "
                                        f"{pick(r, 'Zsófia|Bence|Réka|Levente|Boglárka')}",
    "generational_suffix": lambda r: f"{pick(r, GIVEN)} {pick(r, SURNAMES)} {pick(r, 'Jr.|Sr.|III|II')}",
    "all_caps_full": lambda r: f"{pick(r, GIVEN)} {pick(r, GIVEN)} {pick(r, SURNAMES)}".upper(),
    "tamil_initial_given": lambda r: f"{caps(r, 1)}. {pick(r, 'Lakshmi|Senthilkumar|Kavitha|Murugan|Revathi')}",
}

COUNTY_IE = "Kerry|Mayo|Clare|Donegal|Offaly|Leitrim|Roscommon|Wexford|Sligo"
SMALL_TOWNS = ("Ballyhaunis", "Kilrush", "Trzcianka", "Kutná Hora", "Oudenaarde", "Alcobaça", "Sighișoara",
               "Zlaté Moravce", "Birštonas", "Hafnarfjörður", "Marsaxlokk", "Mtubatuba", "Ilesa", "Kothapet", "Sylhet",
               "Shaki", "Jerash", "Salalah", "Tarija", "Chillán", "Popayán", "Ciudad Guzmán", "Ootmarsum", "Ribe",
               "Nuoro", "Bellinzona", "Termez", "Kolomyia")
LOCATION_SPECS = {
    "county_prefix": lambda r: f"County {pick(r, COUNTY_IE)}",
    "county_suffix": lambda r: f"{pick(r, 'Harlan|Marin|Tillamook|Yavapai|Coahoma|Aroostook|Box Elder')} County",
    "small_town": lambda r: pick(r, SMALL_TOWNS),
    "landkreis": lambda r: f"Landkreis {pick(r, 'Gütersloh|Cham|Uckermark|Vechta|Lörrach')}",
    "district_suffix": lambda r: f"{pick(r, 'Gulu|Mbarara|Kasese|Chitral|Sunamganj|Hambantota')} District",
    "barangay": lambda r: f"Barangay {pick(r, 'San Isidro|Poblacion|Malinta|Bagong Silang')}, "
                          f"{pick(r, 'Cainta|Tanauan|Dumaguete|Tagbilaran')}",
    "taluk_tehsil": lambda r: pick(r, (f"{pick(r, 'Chiplun|Hosur|Udupi|Karkala')} taluk",
                                       f"Tehsil {pick(r, 'Jhelum|Kasur|Pasrur|Chakwal')}")),
    "french_commune": lambda r: f"commune de {pick(r, 'Saint-Flour|Bourg-Lastic|Lamballe|Vitré|Murat')}",
    "polish_gmina": lambda r: f"gmina {pick(r, 'Nowa Dęba|Łomianki|Kórnik|Czarnków|Bełżyce')}",
    "numbered_city_district": lambda r: pick(r, (f"Praha {r.randint(1, 10)}", f"Paris {r.randint(2, 20)}e",
                                                 f"Budapest {pick(r, 'VIII|XI|XIII|XIX')}. kerület",
                                                 f"Wien-{pick(r, 'Favoriten|Ottakring|Floridsdorf')}")),
    "mexican_colonia": lambda r: f"Colonia {pick(r, 'Roma Norte|Del Valle|Santa María la Ribera|Narvarte')}",
    "parish": lambda r: f"{pick(r, 'Trelawny|St. Ann|Westmoreland|Terrebonne|Lafourche')} Parish",
    "rural_municipality": lambda r: f"Rural Municipality of {pick(r, 'Wallace|Piney|Rosser|Taché')}",
    "kenyan_ward": lambda r: f"{pick(r, 'Kileleshwa|Langata|Kibra|Kangemi')} Ward",
}

ADDRESS_SPECS = {
    "uk_flat_court": lambda r: f"Flat {r.randint(1, 24)}{pick(r, 'A|B|C')}, {r.randint(2, 140)} "
                               f"{pick(r, 'Rosemary|Kestrel|Mulberry|Juniper|Lighthouse')} Court",
    "polish_ulica_mieszkanie": lambda r: f"ul. {pick(r, 'Długa|Ogrodowa|Kościuszki|Polna|Lipowa')} "
                                         f"{r.randint(1, 120)} m. {r.randint(1, 60)}",
    "spanish_floor_door": lambda r: f"C/ {pick(r, 'Mayor|de la Paz|del Carmen|San Vicente|Real')}, "
                                    f"{r.randint(1, 90)}, {r.randint(1, 9)}º {pick(r, 'izq.|dcha.|B|C')}",
    "us_apartment": lambda r: f"{r.randint(10, 9899)} {pick(r, 'W|E|N|S')} {ordinal(r.randint(2, 140))} St, "
                              f"Apt {r.randint(1, 30)}{caps(r, 1)}",
    "rural_route_box": lambda r: pick(r, (f"RR {r.randint(1, 9)}, Box {r.randint(10, 999)}",
                                          f"Rural Route {r.randint(1, 9)}, Site {r.randint(1, 40)}, "
                                          f"Comp {r.randint(1, 60)}")),
    "australian_unit_slash": lambda r: f"{r.randint(1, 40)}/{r.randint(2, 300)} "
                                       f"{pick(r, 'Banksia|Wattle|Jacaranda|Bottlebrush')} "
                                       f"{pick(r, 'Street|Parade|Crescent')}",
    "german_floor": lambda r: f"{pick(r, 'Linden|Kirch|Mühlen|Garten|Schiller')}{pick(r, 'straße|weg|gasse')} "
                              f"{r.randint(1, 80)}{pick(r, 'a|b|')}, {r.randint(1, 6)}. OG",
    "japanese_chome": lambda r: f"{r.randint(1, 9)}-{r.randint(1, 30)}-{r.randint(1, 20)} "
                                f"{pick(r, 'Nishi-Shinjuku|Oji|Nakano|Sakae|Tenjin')}",
    "south_asian_house_road": lambda r: f"House No. {r.randint(1, 150)}, Road {r.randint(1, 32)}, "
                                        f"{pick(r, 'Dhanmondi|Banjara Hills|Koramangala|Gulshan')}",
    "gulf_villa_block": lambda r: f"Villa {r.randint(1, 99)}, Street {r.randint(1, 60)}, Block {r.randint(1, 12)}, "
                                  f"{pick(r, 'Al Barsha|Juffair|Salmiya|Al Khuwair')}",
    "italian_scala_interno": lambda r: f"Via {pick(r, 'Roma|Garibaldi|dei Mille|San Martino')} {r.randint(1, 200)}, "
                                       f"scala {caps(r, 1, 'ABCD')}, interno {r.randint(1, 30)}",
    "french_bis_batiment": lambda r: f"{r.randint(1, 80)} {pick(r, 'bis|ter')}, rue des "
                                     f"{pick(r, 'Lilas|Tilleuls|Acacias|Peupliers')}, bâtiment {caps(r, 1, 'ABCD')}",
    "km_carretera": lambda r: f"Km {r.randint(2, 80)} Carretera {pick(r, 'a Toluca|Panamericana|Austral|a Cuenca')}",
    "dutch_belgian_bus": lambda r: pick(r, (f"{pick(r, 'Kerk|Molen|Dorps|Stations')}straat {r.randint(1, 150)}-"
                                            f"{pick(r, 'I|II|hs|bv')}",
                                            f"{pick(r, 'Bosweg|Veldstraat|Lindenlaan')} {r.randint(1, 150)} bus "
                                            f"{r.randint(1, 12)}")),
    "po_box": lambda r: pick(r, (f"PO Box {r.randint(10, 9999)}", f"Apartado {r.randint(10, 9999)}",
                                 f"Private Bag X{r.randint(1, 999)}")),
    "malaysian_lot_taman": lambda r: f"Lot {r.randint(1, 400)}, Jalan {pick(r, 'Melawati|Desa|Mawar')} "
                                     f"{r.randint(1, 12)}, Taman {pick(r, 'Sri Hartamas|Bukit Indah|Seri Alam')}",
    "nigerian_close_off": lambda r: f"No. {r.randint(1, 60)} {pick(r, 'Adeola|Admiralty|Bode Thomas')} Close, off "
                                    f"{pick(r, 'Awolowo|Ikorodu|Herbert Macaulay')} Road",
    "farm_lane": lambda r: f"{pick(r, 'Ashgrove|Hollybush|Greenhill')} Farm, {pick(r, 'Mill|Back|Chapel')} Lane",
}


def uk_postcode(r: random.Random) -> str:
    return f"{pick(r, 'SW|N|EH|LS|BT|CF|G|M|B|NE')}{r.randint(1, 20)}{pick(r, ('', '', 'A', 'W'))} " \
           f"{r.randint(0, 9)}{caps(r, 2, 'ABDEFGHJLNPQRSTUWXYZ')}"


def canadian_postcode(r: random.Random) -> str:
    first, rest = "ABCEGHJKLMNPRSTVXY", "ABCEGHJKLMNPRSTVWXYZ"
    return f"{caps(r, 1, first)}{num(r, 1)}{caps(r, 1, rest)} {num(r, 1)}{caps(r, 1, rest)}{num(r, 1)}"


ZIP_SPECS = {
    "uk_outward_inward": uk_postcode,
    "canadian_ana_nan": canadian_postcode,
    "dutch_digits_letters": lambda r: f"{num1(r, 4)} {caps(r, 2, 'ABCDEGHJKLMNPRTVWXZ')}",
    "polish_dash": lambda r: f"{num(r, 2)}-{num(r, 3)}",
    "brazil_cep": lambda r: f"{num1(r, 5)}-{num(r, 3)}",
    "japan_postal_mark": lambda r: f"〒{num1(r, 3)}-{num(r, 4)}",
    "irish_eircode": lambda r: f"{pick(r, 'D02|A94|T12|H91|V94|D6W|F92')} {caps(r, 1, 'ACDEFHKNPRTVWXY')}"
                               f"{num(r, 1)}{mixed(r, 2)}",
    "us_zip_plus_four": lambda r: f"{num1(r, 5)}-{num(r, 4)}",
    "portugal_seven": lambda r: f"{num1(r, 4)}-{num(r, 3)}",
    "swedish_spaced": lambda r: f"{num1(r, 3)} {num(r, 2)}",
    "malta_letters_digits": lambda r: f"{pick(r, 'VLT|SLM|BKR|MST|QRM')} {num1(r, 4)}",
    "argentina_cpa": lambda r: f"{caps(r, 1, 'BCDHKMSTXW')}{num1(r, 4)}{caps(r, 3)}",
    "india_pin_spaced": lambda r: f"{num1(r, 3)} {num(r, 3)}",
    "country_prefixed": lambda r: pick(r, (f"LV-{num1(r, 4)}", f"LT-{num1(r, 5)}", f"FO-{num1(r, 3)}",
                                           f"CH-{num1(r, 4)}")),
    "iran_ten_digit": lambda r: f"{num1(r, 5)}-{num(r, 5)}",
    "chile_seven": lambda r: num1(r, 7),
}

MONTHS = {
    "en": "January February March April May June July August September October November December",
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
    "it": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre",
    "pl": "stycznia lutego marca kwietnia maja czerwca lipca sierpnia września października listopada grudnia",
    "nl": "januari februari maart april mei juni juli augustus september oktober november december",
    "pt": "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro",
    "tr": "Ocak Şubat Mart Nisan Mayıs Haziran Temmuz Ağustos Eylül Ekim Kasım Aralık",
    "cs": "ledna února března dubna května června července srpna září října listopadu prosince",
    "id": "Januari Februari Maret April Mei Juni Juli Agustus September Oktober November Desember",
    "ro": "ianuarie februarie martie aprilie mai iunie iulie august septembrie octombrie noiembrie decembrie",
}
MONTHS = {k: v.split() for k, v in MONTHS.items()}
WEEKDAYS_EN = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
ROMAN = "I II III IV V VI VII VIII IX X XI XII".split()
HIJRI = ("Muharram", "Safar", "Rabi al-Awwal", "Rajab", "Shaban", "Ramadan", "Shawwal", "Dhu al-Hijjah")


def month(d: date, lang: str) -> str:
    return MONTHS[lang][d.month - 1]


def ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def dated(fmt):
    """A layout that formats one random day."""
    return lambda r: fmt(some_day(r))


DATE_SPECS = {
    "en_ordinal_of": dated(lambda d: f"{ordinal(d.day)} of {month(d, 'en')} {d.year}"),
    "en_us_long": dated(lambda d: f"{month(d, 'en')} {d.day}, {d.year}"),
    "dd_mon_yyyy_upper": dated(lambda d: f"{d.day:02d}-{month(d, 'en')[:3].upper()}-{d.year}"),
    "en_weekday_no_year": dated(lambda d: f"{WEEKDAYS_EN[d.weekday()]} {d.day} {month(d, 'en')}"),
    "en_month_year": dated(lambda d: f"{month(d, 'en')} {d.year}"),
    "de_long": dated(lambda d: f"{d.day}. {month(d, 'de')} {d.year}"),
    "fr_long": dated(lambda d: f"{'1er' if d.day == 1 else d.day} {month(d, 'fr')} {d.year}"),
    "es_long": dated(lambda d: f"{d.day} de {month(d, 'es')} de {d.year}"),
    "it_long": dated(lambda d: f"{d.day} {month(d, 'it')} {d.year}"),
    "pl_genitive": dated(lambda d: f"{d.day} {month(d, 'pl')} {d.year} r."),
    "nl_long": dated(lambda d: f"{d.day} {month(d, 'nl')} {d.year}"),
    "pt_long": dated(lambda d: f"{d.day} de {month(d, 'pt')} de {d.year}"),
    "tr_long": dated(lambda d: f"{d.day} {month(d, 'tr')} {d.year}"),
    "cs_genitive": dated(lambda d: f"{d.day}. {month(d, 'cs')} {d.year}"),
    "id_long": dated(lambda d: f"{d.day} {month(d, 'id')} {d.year}"),
    "ro_long": dated(lambda d: f"{d.day} {month(d, 'ro')} {d.year}"),
    "roman_month": dated(lambda d: f"{d.day}.{ROMAN[d.month - 1]}.{d.year}"),
    "compact_yyyymmdd": dated(lambda d: f"{d:%Y%m%d}"),
    "slash_two_digit_year": dated(lambda d: f"{d.day}/{d.month}/{d.year % 100:02d}"),
    "cjk_year_month_day": dated(lambda d: f"{d.year}年{d.month}月{d.day}日"),
    "korean_dotted": dated(lambda d: f"{d.year}. {d.month}. {d.day}."),
    "iso_slash": dated(lambda d: f"{d:%Y/%m/%d}"),
    "en_day_mon_no_year": dated(lambda d: f"{d.day} {month(d, 'en')[:3]}"),
    "hijri_named_month": lambda r: f"{r.randint(1, 29)} {pick(r, HIJRI)} {r.randint(1380, 1446)} AH",
}

EN_UNITS = "one two three four five six seven eight nine".split()


def age_words(n: int, lang: str) -> str:
    """Spelt-out ages 90-99 (and 100-109 in English)."""
    u = n % 10
    if lang == "en":
        if n >= 100:
            return "one hundred" + (f" and {EN_UNITS[u - 1]}" if u else "")
        return "ninety" + (f"-{EN_UNITS[u - 1]}" if u else "")
    if lang == "es":
        return "noventa" + (f" y {'uno dos tres cuatro cinco seis siete ocho nueve'.split()[u - 1]}" if u else "")
    if lang == "pt":
        return "noventa" + (f" e {'um dois três quatro cinco seis sete oito nove'.split()[u - 1]}" if u else "")
    if lang == "it":
        return ("novanta", "novantuno", "novantadue", "novantatré", "novantaquattro", "novantacinque", "novantasei",
                "novantasette", "novantotto", "novantanove")[u]
    if lang == "de":
        return (f"{'ein zwei drei vier fünf sechs sieben acht neun'.split()[u - 1]}und" if u else "") + "neunzig"
    if lang == "fr":
        return ("quatre-vingt-dix", "quatre-vingt-onze", "quatre-vingt-douze", "quatre-vingt-treize",
                "quatre-vingt-quatorze", "quatre-vingt-quinze", "quatre-vingt-seize", "quatre-vingt-dix-sept",
                "quatre-vingt-dix-huit", "quatre-vingt-dix-neuf")[u]
    if lang == "fr_be":
        return "nonante" + ("", " et un", "-deux", "-trois", "-quatre", "-cinq", "-six", "-sept", "-huit", "-neuf")[u]
    if lang == "nl":
        unit = "een twee drie vier vijf zes zeven acht negen".split()[u - 1] if u else ""
        return (unit + ("ën" if unit.endswith("e") else "en") if u else "") + "negentig"
    if lang == "pl":
        return "dziewięćdziesiąt" + (f" {'jeden dwa trzy cztery pięć sześć siedem osiem dziewięć'.split()[u - 1]}"
                                     if u else "")
    raise ValueError(lang)


def polish_years(n: int) -> str:
    return "lata" if n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14) else "lat"


def russian_years(n: int) -> str:
    return "год" if n % 10 == 1 and n % 100 != 11 else "года" if n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14) \
        else "лет"


def aged(fmt, lo: int = 90, hi: int = 99):
    """A layout that writes one age between lo and hi with fmt(age, rng)."""
    return lambda r: fmt(r.randint(lo, hi), r)


AGE_SPECS = {
    "en_words": aged(lambda n, r: age_words(n, "en"), 90, 109),
    "en_words_years_old": aged(lambda n, r: f"{age_words(n, 'en')} years old"),
    "es_words_anos": aged(lambda n, r: f"{age_words(n, 'es')} años"),
    "pt_words_anos": aged(lambda n, r: f"{age_words(n, 'pt')} anos"),
    "it_words_anni": aged(lambda n, r: f"{age_words(n, 'it')} anni"),
    "de_words_jahre": aged(lambda n, r: f"{age_words(n, 'de')} Jahre"),
    "fr_words_ans": aged(lambda n, r: f"{age_words(n, 'fr')} ans"),
    "fr_be_nonante": aged(lambda n, r: f"{age_words(n, 'fr_be')} ans"),
    "nl_words_jaar": aged(lambda n, r: f"{age_words(n, 'nl')} jaar"),
    "pl_words_lat": aged(lambda n, r: f"{age_words(n, 'pl')} {polish_years(n)}"),
    "pl_digits_inflected": aged(lambda n, r: f"{n} {polish_years(n)}", 90, 104),
    "ru_digits_inflected": aged(lambda n, r: f"{n} {russian_years(n)}", 90, 104),
    "y_o_abbrev": aged(lambda n, r: pick(r, (f"{n} y/o", f"{n}yo", f"{n} yrs")), 90, 106),
    "german_j_abbrev": aged(lambda n, r: f"{n} J.", 90, 104),
    "years_and_months": aged(lambda n, r: (lambda m: pick(r, (f"{n} years {m} month{'s' if m > 1 else ''}",
                                                             f"{n}y {m}m")))(r.randint(1, 11)), 90, 104),
    "hyphenated_year_old": aged(lambda n, r: f"{n}-year-old", 90, 108),
    "tr_id_es_digits": aged(lambda n, r: pick(r, (f"{n} yaşında", f"{n} tahun", f"{n} años")), 90, 104),
}


PHONE_SPECS = {
    "uk_trunk_in_parens": lambda r: f"+44 (0){pick(r, '20|161|131|117|28')} {num1(r, 3)} {num(r, 4)}",
    "brazil_area_mobile": lambda r: f"({r.randint(11, 99)}) 9{num(r, 4)}-{num(r, 4)}",
    "japan_hyphenated": lambda r: f"+81-{r.randint(3, 6)}-{num1(r, 4)}-{num(r, 4)}",
    "us_with_extension": lambda r: f"({r.randint(201, 989)}) {num1(r, 3)}-{num(r, 4)} ext. {num1(r, 3)}",
    "india_mobile_5_5": lambda r: f"+91 {pick(r, '9|8|7')}{num(r, 4)} {num(r, 5)}",
    "nigeria_mobile": lambda r: f"+234 {pick(r, '803|806|813|703|905')} {num1(r, 3)} {num(r, 4)}",
    "australia_mobile": lambda r: f"+61 4{num(r, 2)} {num(r, 3)} {num(r, 3)}",
    "double_zero_intl": lambda r: f"00 33 {r.randint(1, 9)} {num(r, 2)} {num(r, 2)} {num(r, 2)} {num(r, 2)}",
    "russia_parens_dashes": lambda r: f"+7 ({num1(r, 3)}) {num1(r, 3)}-{num(r, 2)}-{num(r, 2)}",
    "german_slash": lambda r: f"0{num1(r, r.randint(2, 4))}/{num1(r, r.randint(6, 8))}",
    "french_dotted": lambda r: f"0{r.randint(1, 9)}.{num(r, 2)}.{num(r, 2)}.{num(r, 2)}.{num(r, 2)}",
    "kenya_mobile": lambda r: f"+254 7{num(r, 2)} {num(r, 3)} {num(r, 3)}",
    "mexico_mobile": lambda r: f"+52 1 {pick(r, '55|33|81')} {num1(r, 4)} {num(r, 4)}",
    "vanity_letters": lambda r: f"1-800-{pick(r, 'NURSING|CARE-NOW|HOSPICE|MEDS-4-U')}",
    "philippines_landline": lambda r: f"(02) 8{num(r, 3)} {num(r, 4)}",
    "danish_pairs": lambda r: f"{num1(r, 2)} {num(r, 2)} {num(r, 2)} {num(r, 2)}",
}
FAX_SPECS = {k: PHONE_SPECS[k] for k in ("uk_trunk_in_parens", "japan_hyphenated", "us_with_extension",
                                         "double_zero_intl", "russia_parens_dashes", "german_slash", "french_dotted",
                                         "philippines_landline", "danish_pairs", "mexico_mobile")}
FAX_SPECS.update({
    "switchboard_x_ext": lambda r: f"0{num1(r, 3)} {num(r, 6)} x{num1(r, 3)}",
    "italy_landline": lambda r: f"+39 0{num1(r, 1)} {num(r, 4)} {num(r, 4)}",
    "spain_9_digits": lambda r: f"9{num(r, 2)} {num(r, 3)} {num(r, 3)}",
})

EMAIL_DOMAINS = ("hse.ie", "nhs.net", "gmail.com", "yahoo.co.in", "outlook.com.br", "correo.es", "wp.pl", "seznam.cz",
                 "mail.ru", "hospital-sanrafael.org", "klinikum-nord.de", "ukr.net", "bigpond.com", "mweb.co.za")


def email_parts(r: random.Random) -> tuple[str, str, str]:
    return pick(r, GIVEN_ASCII), pick(r, SURNAMES_ASCII), pick(r, EMAIL_DOMAINS)


def spoken_email(r: random.Random) -> str:
    g, s, dom = email_parts(r)
    return f"{g} dot {s} at {' dot '.join(dom.split('.'))}"


EMAIL_SPECS = {
    "first_dot_last": lambda r: "{0}.{1}@{2}".format(*email_parts(r)),
    "plus_subaddress": lambda r: "{0}.{1}+{3}@{2}".format(*email_parts(r), pick(r, "clinic|meds|portal|results")),
    "upper_initial_surname": lambda r: "{0[0]}.{1}@{2}".format(*email_parts(r)).upper(),
    "spoken_at_dot": spoken_email,
    "parenthesised_at": lambda r: "{0}.{1}(at){2}".format(*email_parts(r)),
    "unicode_local_part": lambda r: f"{pick(r, 'josé|zoë|łukasz|søren|müge|ana.lúcia')}."
                                    f"{pick(r, 'núñez|nørgaard|wiśniewska|öztürk|bocanegra')}@"
                                    f"{pick(r, 'correo.es|wp.pl|gmail.com|yahoo.com.tr')}",
    "underscore_digits": lambda r: "{1}_{0}{3}@{2}".format(*email_parts(r), num(r, 2)),
    "academic_subdomain": lambda r: f"{pick(r, GIVEN_ASCII)[0]}{pick(r, SURNAMES_ASCII)}@"
                                    f"{pick(r, 'med|nursing|dent')}.{pick(r, 'uct|uonbi|unilag|wits')}.ac."
                                    f"{pick(r, 'za|ke|ng')}",
    "title_prefix": lambda r: f"dr.{pick(r, SURNAMES_ASCII)}@{pick(r, EMAIL_DOMAINS)}",
    "hyphen_join": lambda r: "{0}-{1}@{2}".format(*email_parts(r)),
    "government_health": lambda r: f"{pick(r, GIVEN_ASCII)}.{pick(r, SURNAMES_ASCII)}@health.gov."
                                   f"{pick(r, 'au|ng|lk|bz|jm')}",
}

SSN_SPECS = {
    "us_ssn_spaced": lambda r: f"{r.randint(1, 665):03d} {r.randint(1, 99):02d} {r.randint(1, 9999):04d}",
    "canada_sin_luhn": lambda r: (lambda s: f"{s[:3]} {s[3:6]} {s[6:]}")(with_luhn(r, pick(r, "1|2|4|5|6|7"), 9)),
    "uk_national_insurance": lambda r: f"{caps(r, 2, 'ABCEGHJKLMNPRSTWXYZ')} {num(r, 2)} {num(r, 2)} {num(r, 2)} "
                                       f"{caps(r, 1, 'ABCD')}",
    "france_nir": french_nir,
    "spain_dni": spanish_dni,
    "spain_nie": spanish_nie,
    "italy_codice_fiscale": lambda r: f"{caps(r, 6)}{num(r, 2)}{caps(r, 1, 'ABCDEHLMPRST')}{r.randint(1, 71):02d}"
                                      f"{caps(r, 1)}{num(r, 3)}{caps(r, 1)}",
    "brazil_cpf": brazil_cpf,
    "mexico_curp": lambda r: f"{caps(r, 4)}{some_day(r, 1925, 2005):%y%m%d}{pick(r, 'H|M')}"
                             f"{pick(r, 'DF|JC|NL|PL|VZ|YN')}{caps(r, 3, 'BCDFGHJKLMNPRSTVXZ')}"
                             f"{mixed(r, 1)}{num(r, 1)}",
    "sweden_personnummer": lambda r: f"{some_day(r, 1925, 2010):%Y%m%d}-{num(r, 4)}",
    "denmark_cpr": lambda r: f"{some_day(r, 1925, 2010):%d%m%y}-{num(r, 4)}",
    "finland_hetu": finnish_hetu,
    "china_resident_id": chinese_resident_id,
    "south_africa_id": south_african_id,
    "india_aadhaar": lambda r: f"{r.randint(2, 9)}{num(r, 3)} {num(r, 4)} {num(r, 4)}",
    "korea_rrn": lambda r: f"{some_day(r, 1925, 2005):%y%m%d}-{r.randint(1, 4)}{num(r, 6)}",
    "argentina_dni_dotted": lambda r: f"{r.randint(4_000_000, 45_999_999):,}".replace(",", "."),
    "chile_rut": chile_rut,
    "singapore_nric": lambda r: f"{pick(r, 'S|T|F|G')}{num(r, 7)}{caps(r, 1, 'ABCDEFGHIZJ')}",
    "hong_kong_hkid": lambda r: f"{caps(r, 1)}{num(r, 6)}({pick(r, tuple(DIG) + ('A',))})",
    "ireland_ppsn": lambda r: f"{num(r, 7)}{caps(r, 1, 'ABCDEFGHJKLMNPQRSTVW')}{pick(r, ('', 'A', 'W'))}",
    "belgium_national_register": lambda r: f"{some_day(r, 1925, 2005):%y.%m.%d}-{num(r, 3)}.{num(r, 2)}",
    "swiss_ahv": lambda r: f"756.{num(r, 4)}.{num(r, 4)}.{num(r, 2)}",
    "turkey_tc_kimlik": lambda r: num1(r, 10) + pick(r, "0|2|4|6|8"),
}

HOSPITAL_CODES = ("RVH", "KCH", "SJH", "UHW", "CUH", "HGM", "QEH", "MMC", "KBTH", "LUTH")
MRN_SPECS = {
    "dashed_pairs": lambda r: f"{num(r, 2)}-{num(r, 2)}-{num(r, 2)}-{num(r, 2)}",
    "letter_then_seven": lambda r: f"{caps(r, 1)}{num(r, 7)}",
    "unit_record_prefix": lambda r: f"UR{num1(r, 6)}",
    "site_year_sequence": lambda r: f"{pick(r, HOSPITAL_CODES)}-{r.randint(1995, 2024)}-{num(r, 6)}",
    "thai_hn_slash_year": lambda r: f"{num1(r, 5)}/{r.randint(40, 67)}",
    "spanish_nhc": lambda r: f"NHC {num1(r, 7)}",
    "french_ipp_nine": lambda r: num1(r, 9),
    "check_digit_suffix": lambda r: f"{num1(r, 7)}-{num(r, 1)}",
    "barcode_asterisks": lambda r: f"*{caps(r, 2)}{num(r, 7)}*",
    "letter_slash_letter": lambda r: f"{caps(r, 1)}/{num(r, 6)}/{caps(r, 1)}",
    "zero_padded_ten": lambda r: f"000{num1(r, 7)}",
    "scottish_chi": lambda r: f"{some_day(r, 1925, 2010):%d%m%y}{num(r, 4)}",
    "site_colon_number": lambda r: f"{pick(r, HOSPITAL_CODES)}:{num(r, 8)}",
    "alnum_grouped": lambda r: f"MR{num(r, 4)}-{num(r, 4)}",
    "dotted_triplets": lambda r: f"{num(r, 3)}.{num(r, 3)}.{num(r, 3)}",
}

HEALTH_PLAN_SPECS = {
    "nhs_number_mod11": nhs_number,
    "medicare_au_irn": lambda r: f"{r.randint(2, 6)}{num(r, 3)} {num(r, 5)} {num1(r, 1)}/{r.randint(1, 9)}",
    "us_medicare_mbi": us_mbi,
    "german_kvnr": lambda r: f"{caps(r, 1)}{num(r, 9)}",
    "ontario_ohip": lambda r: f"{num1(r, 4)}-{num(r, 3)}-{num(r, 3)}-{caps(r, 2)}",
    "quebec_ramq": lambda r: f"{caps(r, 4)} {num(r, 4)} {num(r, 4)}",
    "bc_phn": lambda r: f"9{num(r, 3)} {num(r, 3)} {num(r, 3)}",
    "ehic_card": lambda r: f"80{pick(r, '040|056|203|250|276|372|380|616|724')} {num(r, 5)} {num(r, 10)}",
    "mexico_imss_nss": lambda r: f"{num(r, 2)} {num(r, 2)} {num(r, 2)} {num(r, 4)} {num(r, 1)}",
    "philhealth": lambda r: f"{num(r, 2)}-{num(r, 9)}-{num(r, 1)}",
    "india_abha": lambda r: f"{num1(r, 2)}-{num(r, 4)}-{num(r, 4)}-{num(r, 4)}",
    "irish_gms_card": lambda r: f"{num(r, 7)}{caps(r, 1)}",
    "austria_sv_number": lambda r: f"{num1(r, 4)} {some_day(r, 1925, 2010):%d%m%y}",
    "us_member_alpha_prefix": lambda r: f"{caps(r, 3)}{num(r, 9)}",
    "subscriber_dependent": lambda r: f"{num1(r, 8)}-{r.randint(0, 4):02d}",
    "japan_kigou_bangou": lambda r: f"記号{num1(r, 4)} 番号{num1(r, 3)}",
}

ACCOUNT_SPECS = {
    "uk_sort_code_account": lambda r: f"{num(r, 2)}-{num(r, 2)}-{num(r, 2)} {num(r, 8)}",
    "us_routing_slash_account": lambda r: f"{num1(r, 9)}/{num1(r, 10)}",
    "mexico_clabe": lambda r: f"{num(r, 3)} {num(r, 3)} {num(r, 11)} {num(r, 1)}",
    "india_ifsc_account": lambda r: f"{pick(r, 'SBIN|HDFC|ICIC|UTIB|PUNB')}0{mixed(r, 6)} {num1(r, 11)}",
    "brazil_agencia_conta": lambda r: f"Ag. {num1(r, 4)}-{num(r, 1)} C/C {num1(r, 5)}-{num(r, 1)}",
    "australia_bsb": lambda r: f"{num(r, 3)}-{num(r, 3)} {num(r, 4)} {num(r, 4)}",
    "hospital_patient_account": lambda r: f"PA-{num1(r, 8)}",
    "guarantor_account": lambda r: f"G{num(r, 7)}",
    "financial_number_plain": lambda r: num1(r, 9),
    "iban_grouped_gulf": lambda r: pick(r, (f"SA{num(r, 2)} {num(r, 4)} {num(r, 4)} {num(r, 4)} {num(r, 4)} "
                                            f"{num(r, 4)}", f"AE{num(r, 2)} {num(r, 4)} {num(r, 4)} {num(r, 4)} "
                                                            f"{num(r, 4)} {num(r, 3)}")),
    "bitcoin_bech32": lambda r: "bc1q" + caps(r, 38, "qpzry9x8gf2tvdw0s3jn54khce6mua7l"),
    "ledger_slash": lambda r: f"{caps(r, 2)}{num(r, 6)}/{num(r, 2)}",
    "japan_futsuu": lambda r: f"普通 {num1(r, 7)}",
}

LICENSE_SPECS = {
    "uk_driving_licence": uk_driving_licence,
    "california_dl": lambda r: f"{caps(r, 1)}{num(r, 7)}",
    "new_york_dl": lambda r: f"{num(r, 3)} {num(r, 3)} {num(r, 3)}",
    "florida_dl": lambda r: f"{caps(r, 1)}{num(r, 3)}-{num(r, 3)}-{num(r, 2)}-{num(r, 3)}-{num(r, 1)}",
    "ontario_dl": lambda r: f"{caps(r, 1)}{num(r, 4)}-{num(r, 5)}-{num(r, 5)}",
    "india_dl": lambda r: f"{pick(r, 'MH|KA|DL|TN|WB')}{num(r, 2)} {r.randint(1990, 2023)}{num(r, 7)}",
    "german_fuehrerschein": lambda r: f"{caps(r, 1)}{num(r, 3)}{mixed(r, 6)}{num(r, 1)}",
    "poland_prawo_jazdy": lambda r: f"{num(r, 5)}/{num(r, 2)}/{num(r, 4)}",
    "gmc_registration": lambda r: f"GMC {num1(r, 7)}",
    "us_npi_luhn": npi,
    "us_dea_checksum": dea_number,
    "nursing_registration": lambda r: f"RN{num1(r, 6)}",
    "german_lanr": lambda r: num1(r, 9),
    "birth_certificate": lambda r: f"BC {r.randint(1925, 2020)}/{num(r, 6)}",
    "pharmacist_registration": lambda r: f"PH-{num1(r, 5)}-{caps(r, 1)}",
    "brazil_cnh": lambda r: num1(r, 11),
}

VEHICLE_SPECS = {
    "vin_check_digit": vin,
    "uk_plate": lambda r: f"{caps(r, 2, 'ABCDEFGHKLMNOPRSVWY')}{r.randint(51, 74)} "
                          f"{caps(r, 3, 'ABCDEFGHJKLMNOPRSTUVWXYZ')}",
    "german_plate": lambda r: f"{pick(r, 'M|HH|B|K|GÖ|MZ|LÖ')}-{caps(r, 2)} {r.randint(1, 9999)}",
    "french_siv": lambda r: f"{caps(r, 2)}-{num(r, 3)}-{caps(r, 2)}",
    "italian_plate": lambda r: f"{caps(r, 2)} {num(r, 3)}{caps(r, 2)}",
    "spanish_plate": lambda r: f"{num(r, 4)} {caps(r, 3, 'BCDFGHJKLMNPRSTVWXYZ')}",
    "dutch_sidecode": lambda r: f"{num1(r, 2)}-{caps(r, 3, 'BDFGHJKLNPRSTVXZ')}-{r.randint(1, 9)}",
    "polish_plate": lambda r: f"{pick(r, 'WA|KR|PO|GD|WR')} {num1(r, 5)}",
    "indian_plate": lambda r: f"{pick(r, 'MH|KA|DL|TN|WB')} {num(r, 2)} {caps(r, 2)} {num1(r, 4)}",
    "mercosur_plate": lambda r: f"{caps(r, 3)}{num(r, 1)}{caps(r, 1)}{num(r, 2)}",
    "japanese_plate": lambda r: f"{pick(r, '品川|横浜|なにわ|札幌')} {num1(r, 3)} {pick(r, 'あ|さ|た|な|わ')} "
                                f"{num1(r, 2)}-{num(r, 2)}",
    "california_plate": lambda r: f"{r.randint(1, 9)}{caps(r, 3)}{num(r, 3)}",
    "swiss_canton_plate": lambda r: f"{pick(r, 'ZH|BE|VD|GE|TI')} {num1(r, 6)}",
    "ukrainian_plate": lambda r: f"{pick(r, 'AA|BC|KA|AX')} {num(r, 4)} {caps(r, 2, 'ABCEHIKMOPTX')}",
    "nigerian_plate": lambda r: f"{pick(r, 'LND|ABJ|KJA|EKY')}-{num1(r, 3)}{caps(r, 2)}",
    "japanese_chassis": lambda r: f"{pick(r, 'ZVW|NHP|GP|ZRE')}{r.randint(10, 99)}-{num1(r, 7)}",
    "engine_number": lambda r: f"{caps(r, 2)}{num(r, 2)}{caps(r, 1)}-{num1(r, 6)}",
    "dubai_plate": lambda r: f"Dubai {caps(r, 1)} {num1(r, 5)}",
}

DEVICE_SPECS = {
    "gs1_udi": gs1_udi,
    "hibc_udi": lambda r: f"+H{caps(r, 3)}{mixed(r, 5)}{num(r, 1)}/$$3{some_day(r, 2024, 2031):%y%m%d}{mixed(r, 5)}",
    "imei_dashed": lambda r: (lambda s: f"{s[:2]}-{s[2:8]}-{s[8:14]}-{s[14]}")(imei(r)),
    "imei_plain": imei,
    "pacemaker_serial": lambda r: f"{caps(r, 3)}{num1(r, 6)}{caps(r, 1)}",
    "insulin_pump_serial": lambda r: f"NG{num1(r, 7)}{caps(r, 1)}",
    "cgm_transmitter": lambda r: f"{num1(r, 1)}{caps(r, 1)}{mixed(r, 4)}",
    "hearing_aid_serial": lambda r: f"{num(r, 2)}{caps(r, 1)}{num(r, 6)}",
    "implant_ref_lot": lambda r: f"REF {num1(r, 6)} LOT {num(r, 5)}{caps(r, 1)}",
    "bluetooth_hyphen_upper": lambda r: "-".join(hexs(r, 2).upper() for _ in range(6)),
    "cisco_dotted_mac": lambda r: ".".join(hexs(r, 4) for _ in range(3)),
    "meid_hex": lambda r: f"{caps(r, 1, 'A')}{hexs(r, 13).upper()}",
    "serial_with_year": lambda r: f"SN{r.randint(10, 25)}{caps(r, 1)}{num(r, 5)}",
    "cochlear_implant": lambda r: f"CI{num1(r, 3)}-{num(r, 6)}",
    "uuid_upper": lambda r: "-".join(hexs(r, n).upper() for n in (8, 4, 4, 4, 12)),
}

HOSPITAL_HOSTS = ("stbrigids", "klinikum-nordstadt", "hospitalsanrafael", "riversidehealth", "szpital-leszno",
                  "lakeshoremedical", "ospedalesantachiara")
TLDS = ("org", "ie", "de", "es", "pl", "it", "co.za", "com.ng", "in", "ae")


def slug(r: random.Random) -> str:
    return "-".join(r.sample(("help", "for", pick(r, GIVEN_ASCII), pick(r, SURNAMES_ASCII), "recovery", "care"), 3))


URL_SPECS = {
    "portal_query_id": lambda r: f"https://portal.{pick(r, HOSPITAL_HOSTS)}.{pick(r, TLDS)}/patient?id={num1(r, 7)}",
    "short_link": lambda r: f"bit.ly/{caps(r, 7, UP + LOW + DIG)}",
    "www_no_scheme": lambda r: f"www.{pick(r, HOSPITAL_HOSTS)}.{pick(r, TLDS)}/{slug(r)}",
    "ip_host_port": lambda r: f"http://10.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}:"
                              f"{pick(r, '8080|8443|3000')}/pacs/viewer",
    "idn_host": lambda r: f"https://{pick(r, 'zdrowie-łódź.pl|klinik-müller.de|salud-peñalolén.cl|hälsa.se')}/",
    "social_profile": lambda r: pick(r, (f"instagram.com/{pick(r, GIVEN_ASCII)}_{pick(r, SURNAMES_ASCII)}",
                                         f"https://www.facebook.com/{pick(r, GIVEN_ASCII)}.{pick(r, SURNAMES_ASCII)}."
                                         f"{num(r, 3)}")),
    "telehealth_meeting": lambda r: f"https://meet.{pick(r, HOSPITAL_HOSTS)}.org/j/{num1(r, 11)}",
    "video_short": lambda r: f"https://youtu.be/{caps(r, 11, UP + LOW + DIG + '-_')}",
    "ftp_scan": lambda r: f"ftp://files.{pick(r, HOSPITAL_HOSTS)}.{pick(r, TLDS)}/scans/{slug(r)}.pdf",
    "fundraiser": lambda r: f"https://www.gofundme.com/f/{slug(r)}",
    "upper_case_http": lambda r: f"HTTP://{pick(r, HOSPITAL_HOSTS).upper()}.ORG/RECORDS/{num1(r, 6)}",
    "fragment_anchor": lambda r: f"https://{pick(r, HOSPITAL_HOSTS)}.{pick(r, TLDS)}/records#{slug(r)}",
}


def octets(r: random.Random) -> list[int]:
    return [r.randint(1, 223), r.randint(0, 255), r.randint(0, 255), r.randint(1, 254)]


def ipv4(r: random.Random) -> str:
    return ".".join(map(str, octets(r)))


IP_SPECS = {
    "ipv4_cidr": lambda r: f"{ipv4(r)}/{pick(r, '8|16|22|24|28')}",
    "ipv4_port": lambda r: f"{ipv4(r)}:{r.randint(1024, 65535)}",
    "ipv6_doc_compressed": lambda r: f"2001:db8:{hexs(r, 4).lstrip('0') or '0'}::{hexs(r, 3)}",
    "ipv4_mapped_ipv6": lambda r: f"::ffff:{ipv4(r)}",
    "ipv6_link_local_zone": lambda r: f"fe80::{hexs(r, 4)}:{hexs(r, 4)}%{pick(r, 'eth0|wlan0|en0')}",
    "ipv4_zero_padded": lambda r: ".".join(f"{o:03d}" for o in octets(r)),
    "ipv6_full_upper": lambda r: ":".join(hexs(r, 4).upper() for _ in range(8)),
    "ipv6_prefix": lambda r: f"2a02:{hexs(r, 4)}:{hexs(r, 4)}::/48",
    "cgnat_range": lambda r: f"100.{r.randint(64, 127)}.{r.randint(0, 255)}.{r.randint(1, 254)}",
    "private_192": lambda r: f"192.168.{r.randint(0, 255)}.{r.randint(1, 254)}",
}

BIOMETRIC_SPECS = {
    "fingerprint_template": lambda r: f"FP-TPL-{hexs(r, 8).upper()}",
    "iris_code_side": lambda r: f"IRIS-{pick(r, 'L|R')}-{num(r, 5)}",
    "voice_print_year": lambda r: f"VP_{r.randint(2012, 2024)}_{num(r, 5)}",
    "palm_vein": lambda r: f"PV{num(r, 4)}{caps(r, 2)}",
    "face_template_prefixed_hash": lambda r: f"ftpl:{hexs(r, 16)}",
    "retina_scan": lambda r: f"RET-{caps(r, 3)}-{num(r, 6)}",
    "gait_signature": lambda r: f"GAIT/{num(r, 4)}/{hexs(r, 6)}",
    "dna_profile": lambda r: f"DNA-{num(r, 2)}-{num(r, 6)}",
    "minutiae_record": lambda r: f"MNT{num(r, 6)}-{num(r, 2)}",
    "ansi_nist_transaction": lambda r: f"EFT{some_day(r, 2010, 2024):%y%m%d}{num(r, 6)}",
    "keystroke_dynamics": lambda r: f"KSD-{hexs(r, 4)}-{hexs(r, 4)}",
    "signature_dynamics": lambda r: f"SIG.{num(r, 6)}.{caps(r, 1)}",
}


def stamp(r: random.Random) -> str:
    return f"{some_day(r, 2012, 2024):%Y%m%d}"


PHOTO_SPECS = {
    "iphone_heic": lambda r: f"IMG_{num(r, 4)}.HEIC",
    "camera_dsc": lambda r: f"DSC{num(r, 5)}.JPG",
    "pixel_timestamp": lambda r: f"PXL_{stamp(r)}_{num(r, 9)}.jpg",
    "whatsapp_image": lambda r: (lambda d: f"WhatsApp Image {d[:4]}-{d[4:6]}-{d[6:]} at {r.randint(0, 23):02d}."
                                           f"{r.randint(0, 59):02d}.{r.randint(0, 59):02d}.jpeg")(stamp(r)),
    "android_screenshot": lambda r: f"Screenshot_{stamp(r)}-{r.randint(0, 23):02d}{r.randint(0, 59):02d}"
                                    f"{r.randint(0, 59):02d}.png",
    "portrait_path": lambda r: f"/photos/patients/{num1(r, 6)}/face_front.png",
    "id_photo_code": lambda r: f"PH-{num1(r, 6)}-F",
    "dicom_sop_uid": lambda r: f"1.2.826.0.1.{num1(r, 7)}.{r.randint(1, 99)}.{num1(r, 6)}",
    "webcam_capture": lambda r: f"capture_{hexs(r, 8)}.webp",
    "named_passport_photo": lambda r: f"passport_photo_{pick(r, SURNAMES_ASCII)}_{pick(r, GIVEN_ASCII)}.jpg",
    "scanned_tiff": lambda r: f"SCAN{num(r, 4)}_face.tif",
    "image_id_colon": lambda r: f"img:{num1(r, 8)}",
}

ID_SPECS = {
    "encounter_number": lambda r: f"ENC{num1(r, 9)}",
    "lab_accession": lambda r: f"{r.randint(10, 24)}-{caps(r, 2)}-{num(r, 6)}",
    "pathology_block": lambda r: f"S{r.randint(10, 24)}-{num1(r, 5)} {caps(r, 1, 'ABCD')}{r.randint(1, 9)}",
    "trial_subject": lambda r: f"{pick(r, 'ONC|CARD|NEURO|RESP')}-{num(r, 3)}-{num(r, 4)}",
    "passport_number": lambda r: f"{caps(r, 2)}{num1(r, 7)}",
    "nhs_ubrn": lambda r: f"{num(r, 4)} {num(r, 4)} {num(r, 4)}",
    "prescription_number": lambda r: f"Rx{num1(r, 7)}",
    "insurance_claim": lambda r: f"CLM-{r.randint(2015, 2024)}-{num(r, 7)}",
    "employee_badge": lambda r: f"EMP{num(r, 5)}",
    "student_id": lambda r: f"{r.randint(15, 24)}{caps(r, 1)}{num(r, 6)}",
    "india_voter_epic": lambda r: f"{caps(r, 3)}{num1(r, 7)}",
    "court_case": lambda r: f"{r.randint(2005, 2024)}/{num(r, 5)}/{caps(r, 1)}",
    "biobank_sample": lambda r: f"BB-{hexs(r, 6).upper()}",
    "booking_reference": lambda r: caps(r, 6, "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"),
    "referral_reference": lambda r: f"REF{caps(r, 2)}{num(r, 6)}",
    "nigeria_tin": lambda r: f"{num1(r, 8)}-{num(r, 4)}",
}

SAINTS = "Brigid|Columba|Raphael|Jude|Vincent de Paul|Elisabeth|Luke|Hedwig|Camillus"
PLACES = "Riverside|Northgate|Lakeshore|Hillcrest|Ashgrove|Seaview|Kingsmead|Meadowbank"
FACILITY_SPECS = {
    "saint_hospital": lambda r: f"St {pick(r, SAINTS)}'s {pick(r, 'Hospital|Community Hospital|Infirmary')}",
    "place_unit": lambda r: f"{pick(r, PLACES)} {pick(r, 'Medical Centre|Dialysis Unit|Day Hospital')}",
    "spanish_hospital": lambda r: f"Hospital {pick(r, 'General|Universitario|Comarcal')} de "
                                  f"{pick(r, 'Santa Lucía|San Rafael|Las Acacias|Valdelagua')}",
    "german_klinikum": lambda r: f"Klinikum {pick(r, 'Nordstadt|Am Steinenberg|Lindenhof|Bad Salzhausen')}",
    "polish_szpital": lambda r: f"Szpital Wojewódzki w {pick(r, 'Lesznie|Koninie|Siedlcach|Przemyślu')}",
    "italian_ospedale": lambda r: f"Ospedale {pick(r, 'Santa Chiara|San Gerardo|Maggiore di Lodi|Villa Serena')}",
    "french_clinique": lambda r: pick(r, (f"Clinique du {pick(r, 'Parc|Lac|Val Fleuri')}",
                                          f"Centre hospitalier de {pick(r, 'Lamballe|Vitré|Saint-Flour')}")),
    "care_home": lambda r: f"{pick(r, PLACES)} {pick(r, 'Lodge|House|Court')} Care Home",
    "nursing_home": lambda r: f"{pick(r, 'Maple|Birch|Willow|Rowan')} Lodge Nursing Home",
    "hospice": lambda r: f"{pick(r, PLACES)} Hospice",
    "india_phc": lambda r: f"Primary Health Centre, {pick(r, 'Kothapet|Hosur|Karkala|Chiplun')}",
    "dutch_ziekenhuis": lambda r: f"Ziekenhuis {pick(r, 'Oostervaart|Rivierenland|De Linde')}",
    "policlinica": lambda r: f"Policlínica {pick(r, 'San Rafael|Santa Fe|El Carmen')}",
    "gulf_specialist": lambda r: f"{pick(r, 'Al Noor|Al Salam|Dar Al Shifa')} Specialist Hospital",
    "numbered_city_hospital": lambda r: f"City Clinical Hospital No. {r.randint(1, 80)}",
    "health_centre_es": lambda r: f"Centro de Salud {pick(r, 'Las Acacias|El Olivar|La Paz')}",
    "family_practice": lambda r: f"Dr {pick(r, SURNAMES)} Family Practice",
}

SPEC_LAYOUTS = {
    "NAME": NAME_SPECS, "LOCATION": LOCATION_SPECS, "ADDRESS": ADDRESS_SPECS, "ZIP": ZIP_SPECS, "DATE": DATE_SPECS,
    "AGE": AGE_SPECS, "PHONE": PHONE_SPECS, "FAX": FAX_SPECS, "EMAIL": EMAIL_SPECS, "SSN": SSN_SPECS,
    "MRN": MRN_SPECS, "HEALTH_PLAN": HEALTH_PLAN_SPECS, "ACCOUNT": ACCOUNT_SPECS, "LICENSE": LICENSE_SPECS,
    "VEHICLE": VEHICLE_SPECS, "DEVICE": DEVICE_SPECS, "URL": URL_SPECS, "IP": IP_SPECS,
    "BIOMETRIC": BIOMETRIC_SPECS, "PHOTO": PHOTO_SPECS, "ID": ID_SPECS, "FACILITY": FACILITY_SPECS,
}


def faker_day(fake: Faker) -> date:
    """A day from fixed bounds (never relative to today, so the output does not drift)."""
    return fake.date_between_dates(date(1925, 1, 1), date(2024, 12, 31))


def locale_month(fake: Faker, d: date) -> str:
    for provider in fake.get_providers():
        names = getattr(provider, "MONTH_NAMES", None)
        if type(provider).__module__.startswith("faker.providers.date_time") and names:
            return names.get(f"{d.month:02d}", names.get(d.month, month(d, "en")))
    return month(d, "en")


def faker_ssn(fake: Faker) -> str:
    if "uk_UA" in fake.locales:  # its default birthday reads today's date
        return fake.ssn(birthday=f"{faker_day(fake):%d-%m-%Y}")
    return fake.ssn()


FAKER_LAYOUTS = {
    "NAME": {"name": lambda f: f.name(), "first_last": lambda f: f"{f.first_name()} {f.last_name()}",
             "last_comma_first": lambda f: f"{f.last_name()}, {f.first_name()}", "last_only": lambda f: f.last_name()},
    "LOCATION": {"city": lambda f: f.city()},
    "ADDRESS": {"street_address": lambda f: f.street_address(),
                "street_name_building": lambda f: f"{f.street_name()} {f.building_number()}"},
    "ZIP": {"postcode": lambda f: f.postcode()},
    "DATE": {"iso": lambda f: faker_day(f).isoformat(), "dmy_dots": lambda f: f"{faker_day(f):%d.%m.%Y}",
             "dmy_slashes": lambda f: f"{faker_day(f):%d/%m/%Y}", "mdy_slashes": lambda f: f"{faker_day(f):%m/%d/%Y}",
             "locale_month_name": lambda f: (lambda d: f"{d.day} {locale_month(f, d)} {d.year}")(faker_day(f)),
             "locale_month_no_year": lambda f: (lambda d: f"{d.day} {locale_month(f, d)}")(faker_day(f))},
    "AGE": {"random_int": lambda f: str(f.random_int(90, 108))},
    "PHONE": {"phone_number": lambda f: f.phone_number()},
    "FAX": {"phone_number": lambda f: f.phone_number()},
    "EMAIL": {"email": lambda f: f.email(), "free_email": lambda f: f.free_email(),
              "company_email": lambda f: f.company_email()},
    "SSN": {"ssn": faker_ssn},
    "MRN": {"numerify_7": lambda f: f.numerify("#######"), "bothify_2l6d": lambda f: f.bothify("??######", UP),
            "ean8": lambda f: f.ean8(), "random_number_9": lambda f: str(f.random_number(digits=9, fix_len=True))},
    "HEALTH_PLAN": {"bothify_3l9d": lambda f: f.bothify("???#########", UP),
                    "numerify_4_4_4": lambda f: f.numerify("#### #### ####"), "ean13": lambda f: f.ean13(),
                    "bothify_dashed": lambda f: f.bothify("##-#######-#")},
    "ACCOUNT": {"iban": lambda f: f.iban(), "bban": lambda f: f.bban(),
                "credit_card_number": lambda f: f.credit_card_number(),
                "random_number_10": lambda f: str(f.random_number(digits=10, fix_len=True))},
    "LICENSE": {"bothify_1l7d": lambda f: f.bothify("?#######", UP),
                "bothify_2l_3_4": lambda f: f.bothify("??-###-####", UP),
                "numerify_9": lambda f: f.numerify("#########")},
    "VEHICLE": {"license_plate": lambda f: f.license_plate(), "vin": lambda f: f.vin()},
    "DEVICE": {"mac_address": lambda f: f.mac_address(), "uuid4": lambda f: f.uuid4(), "ean13": lambda f: f.ean13(),
               "bothify_serial": lambda f: f.bothify("SN-########")},
    "URL": {"url": lambda f: f.url(), "uri": lambda f: f.uri(),
            "domain_slug": lambda f: f"https://{f.domain_name()}/{f.slug()}"},
    "IP": {"ipv4": lambda f: f.ipv4(), "ipv6": lambda f: f.ipv6(), "ipv4_private": lambda f: f.ipv4_private(),
           "ipv4_public": lambda f: f.ipv4_public()},
    "BIOMETRIC": {"sha1_20": lambda f: f.sha1()[:20], "md5": lambda f: f.md5(), "uuid4": lambda f: f.uuid4(),
                  "hexify_upper": lambda f: f.hexify("^^^^^^^^-^^^^", upper=True)},
    "PHOTO": {"image_file_name": lambda f: f.file_name(category="image"),
              "image_file_path": lambda f: f.file_path(category="image"), "uuid_jpg": lambda f: f"{f.uuid4()}.jpg"},
    "ID": {"passport_number": lambda f: f.passport_number(), "uuid4": lambda f: f.uuid4(),
           "ean13": lambda f: f.ean13(), "bothify_case": lambda f: f.bothify("??-####-####", UP)},
    "FACILITY": {"company_clinic": lambda f: f"{f.company()} Clinic",
                 "city_general_hospital": lambda f: f"{f.city()} General Hospital",
                 "surname_nursing_home": lambda f: f"{f.last_name()} Nursing Home",
                 "saint_first_name": lambda f: f"St {f.first_name()}'s Hospital"},
}

# Locale-specific Faker methods that read today's date; such a (locale, tag) never gets a Faker draw.
DATE_DEPENDENT = {("az_AZ", "EMAIL"), ("nl_BE", "SSN"), ("pl_PL", "SSN"), ("sr_BA", "SSN")}


# Element lists that Faker builds from a set, so their order follows PYTHONHASHSEED; sorted before any draw.
HASH_ORDERED = {"faker.providers.address.it_IT": ("cities",)}


def new_faker(locale: str) -> Faker:
    fake = Faker(locale)
    for provider in fake.get_providers():
        for attr in HASH_ORDERED.get(type(provider).__module__, ()):
            setattr(provider, attr, sorted(getattr(provider, attr)))
    return fake


def has_local_ssn(locale: str) -> bool:
    return importlib.util.find_spec(f"faker.providers.ssn.{locale}") is not None


FRAMES = {
    "NAME": ("{} was reviewed on the ward round.", "Seen with her son, {}, who gave the history.", "Next of kin: {}.",
             "Referred by Dr {} for further assessment.", "{} reports less breathlessness today.",
             "Discussed with the on-call registrar, {}.", "Letter copied to the GP, {}.", "Consent was signed by {}.",
             "Collateral history from neighbour {}."),
    "LOCATION": ("Lives alone in {}.", "Transferred from a rural unit in {}.", "Home town: {}.",
                 "Recently returned from {}.", "The district nursing team for {} has been informed.",
                 "{} ambulance service brought the patient in.", "Born in {} and moved here as a child.",
                 "Usual residence: {}."),
    "ADDRESS": ("Home address: {}.", "Lives at {} with her husband.", "Please send correspondence to {}.",
                "Collected by ambulance from {}.", "Discharge destination is {}.",
                "{} is the address on the referral.", "Found on the floor at {} by a carer."),
    "ZIP": ("Postcode {}.", "Postal code: {}.", "ZIP {} on the registration form.", "Lives in the {} area.",
            "The practice serving {} will follow up.", "{} was given as the postcode.", "Catchment area {}."),
    "DATE": ("Admitted on {}.", "Date of birth: {}.", "DOB {}.", "First seen in clinic {}.",
             "{}: fall at home with a long lie.", "Symptoms started on {}.", "Discharged {} with community follow-up.",
             "Next review booked for {}.", "Last colonoscopy {}, no polyps.", "Influenza vaccine given {}."),
    "AGE": ("Age: {}.", "She is {} and walks with a frame.", "Aged {}, he still manages his own medication.",
            "Stated age {} at triage.", "{} at the time of this assessment.", "Now {}, lives in a care home.",
            "Patient age recorded as {}.", "The family gave her age as {}."),
    "PHONE": ("Contact number {}.", "Daughter can be reached on {}.", "Tel. {}.", "Call {} if symptoms worsen.",
              "Mobile: {}.", "{} is the best number for the family.", "Home phone {}.",
              "The pharmacy rang from {} about the prescription."),
    "FAX": ("Fax: {}.", "Results faxed to {}.", "Please fax the referral to {}.", "Facsimile {}.",
            "Send the signed form to {} by fax.", "Telefax {}.", "{} is the fax line of the surgery.",
            "Discharge summary faxed to the GP on {}."),
    "EMAIL": ("Email: {}.", "Results sent to {}.", "Daughter prefers contact via {}.", "Portal invite sent to {}.",
              "{} is the contact address for appointments.", "Wrote to {} with the biopsy plan.", "E-mail {}."),
    "SSN": ("National ID {}.", "SSN {}.", "Social security number: {}.", "Identity number {} verified at registration.",
            "Personal number {}.", "{} recorded as national identifier.", "Identity confirmed against {}.",
            "Civil registration number {}."),
    "MRN": ("MRN {}.", "Hospital number: {}.", "Case notes {} requested from the archive.",
            "Please quote {} in all correspondence.", "Medical record {}.", "Unit record number {}.",
            "Chart {} reviewed.", "{} is the hospital record for this admission."),
    "HEALTH_PLAN": ("Insurance number {}.", "Health card {}.", "Member ID {}.", "Covered under policy {}.",
                    "Beneficiary number: {}.", "{} is the health insurance number on file.",
                    "Insurer reference {} checked.", "Medicare number {}."),
    "ACCOUNT": ("Billing account {}.", "Refund to be paid into {}.", "Account no. {}.", "Direct debit set up from {}.",
                "{} is the guarantor account.", "Invoices go to account {}.", "Payment received from {}."),
    "LICENSE": ("Licence number {}.", "Certificate no. {}.", "{} was checked against the register.",
                "Registration {} confirmed.", "Copy of licence {} scanned to the record.", "Licence {} is current.",
                "Professional registration: {}."),
    "VEHICLE": ("Car registration {}.", "Driver of vehicle {} in the collision.", "Vehicle identifier {}.",
                "Parked in the visitor car park, {}.", "The crew recorded the car as {}.",
                "{} was towed from the scene.", "Registered vehicle: {}."),
    "DEVICE": ("Device ID: {}.", "Serial number {}.", "Implant {} recorded in the registry.",
               "Insulin pump {} interrogated, no alarms.", "{} was paired with the home monitor.",
               "Sensor {} replaced.", "Device {} returned to the manufacturer."),
    "URL": ("Portal: {}.", "Details at {} were given to the family.", "See {} for the leaflet.",
            "Uploaded the symptom diary to {} yesterday.", "Shared a video via {}.",
            "Her fundraising page {} mentions the diagnosis.", "{} was bookmarked for the family.", "Link: {}."),
    "IP": ("Telehealth session from {}.", "Login from IP {}.", "Connected via {}.", "Access log shows {}.",
           "{} flagged by the portal for repeated logins.", "Remote monitoring gateway {}.", "Home hub address {}."),
    "BIOMETRIC": ("Biometric template {} on file.", "Enrolled for identification with biometric record {}.",
                  "Biometric enrolment {}.", "{} stored in the biometric register.",
                  "Signed in with biometric record {}.", "Identity confirmed by print match {}.",
                  "Template {} captured at registration."),
    "PHOTO": ("Full-face photograph {} attached.", "ID photo: {}.", "Face image {} stored in the record.",
              "Portrait uploaded as {}.", "{} shows the patient's face for identification.",
              "Clinical photograph of the face, {}.", "Photo {} added to the wristband system."),
    "ID": ("Encounter {}.", "Specimen {} sent to the laboratory.", "Trial participant {}.", "Reference {}.",
           "{} was quoted by the caller.", "Case number {}.", "Document {} seen.",
           "Identifier {} added to the referral."),
    "FACILITY": ("Admitted to {}.", "Transferred from {}.", "Follows up at {}.", "{} discharge team informed.",
                 "Resident of {}.", "Previously treated at {}.", "Outpatient dialysis at {}."),
}
AGE_ADJECTIVE_FRAMES = ("A {} widow who lives alone.", "The patient is a {} retired teacher.",
                        "{} man with a fall at home.", "Frail {} admitted from home.")
PATIENT_FRAGMENTS = {
    "NAME": ("{}", "{}", "name {}"), "AGE": ("aged {}", "age {}", "{}"), "MRN": ("MRN {}", "hosp. no. {}", "{}"),
    "SSN": ("national ID {}", "ID {}"), "HEALTH_PLAN": ("insurance {}", "plan {}"), "DATE": ("DOB {}", "born {}"),
    "ID": ("ref. {}", "visit {}"), "PHONE": ("tel. {}", "phone {}"), "LOCATION": ("from {}", "of {}"),
    "ADDRESS": ("address {}", "of {}"), "ZIP": ("postcode {}",), "EMAIL": ("email {}",),
}
TITLES = ("Discharge summary", "Outpatient clinic letter", "Emergency department note", "Geriatric medicine review",
          "Nursing handover", "Telehealth consultation", "Ward round entry", "Community nursing visit",
          "Referral letter", "Pre-operative assessment", "Palliative care review", "Memory clinic assessment",
          "Cardiology follow-up", "Diabetes clinic note", "Falls clinic assessment", "Stroke unit progress note")
HEADER_FRAMES = {"FACILITY": ("{t} - {}", "{}: {t}", "{t}, {}"), "DATE": ("{t} ({})", "{t} dated {}", "{} - {t}")}
NO_PATIENT_LINE = "Patient: identity checked against two identifiers."

DRUGS = (("metformin", "500|850|1000", "mg", "twice daily|once daily"), ("apixaban", "2.5|5", "mg", "twice daily"),
         ("atorvastatin", "20|40|80", "mg", "at night"), ("furosemide", "20|40|80", "mg", "once daily|twice daily"),
         ("levothyroxine", "50|75|100|125", "micrograms", "once daily"),
         ("amoxicillin", "500", "mg", "three times daily"), ("bisoprolol", "1.25|2.5|5", "mg", "once daily"),
         ("ramipril", "2.5|5|10", "mg", "once daily"), ("paracetamol", "1", "g", "four times daily"),
         ("prednisolone", "5|10|30|40", "mg", "once daily"), ("amlodipine", "5|10", "mg", "once daily"),
         ("oral morphine", "2.5|5", "mg", "every four hours as needed"), ("sertraline", "50|100", "mg", "once daily"),
         ("enoxaparin", "40", "mg", "subcutaneously once daily"), ("co-amoxiclav", "625", "mg", "three times daily"))


def tenth(r: random.Random, lo: int, hi: int) -> str:
    return f"{r.randint(lo, hi) / 10:.1f}"


def drug_sentence(r: random.Random) -> str:
    name, doses, unit, freqs = r.choice(DRUGS)
    return f"{pick(r, 'Started|Continues|Restarted|Plan to start')} {name} {pick(r, doses)} {unit} {pick(r, freqs)}."


def drug_course(r: random.Random) -> str:
    name, doses, unit, freqs = r.choice(DRUGS)
    return f"Course of {name} {pick(r, doses)} {unit} {pick(r, freqs)} for {r.randint(3, 14)} days."


CLINICAL = (
    lambda r: f"BP {r.randint(98, 176)}/{r.randint(54, 98)} mmHg, HR {r.randint(52, 124)} bpm, "
              f"SpO2 {r.randint(89, 99)}% on room air.",
    lambda r: f"Temperature {tenth(r, 359, 393)} °C, respiratory rate {r.randint(12, 28)}/min.",
    lambda r: f"Hb {tenth(r, 84, 156)} g/dL, WBC {tenth(r, 34, 189)} x10^9/L, platelets {r.randint(95, 420)} x10^9/L.",
    lambda r: f"Creatinine {r.randint(58, 240)} µmol/L, eGFR {r.randint(18, 88)} mL/min/1.73 m2, "
              f"potassium {tenth(r, 32, 58)} mmol/L.",
    lambda r: f"Sodium {r.randint(126, 146)} mmol/L and glucose {tenth(r, 42, 198)} mmol/L.",
    lambda r: f"HbA1c {tenth(r, 54, 112)}%.",
    lambda r: f"CRP {r.randint(3, 240)} mg/L, lactate {tenth(r, 8, 46)} mmol/L.",
    lambda r: f"INR {tenth(r, 10, 38)} on warfarin {r.randint(1, 7)} mg daily.",
    lambda r: f"High-sensitivity troponin {r.randint(4, 180)} ng/L, BNP {r.randint(40, 1800)} pg/mL.",
    lambda r: f"GCS {r.randint(9, 15)}, NIHSS {r.randint(0, 14)}.",
    lambda r: f"MMSE {r.randint(14, 29)}/30, Clinical Frailty Scale {r.randint(3, 7)}.",
    lambda r: f"Pain score {r.randint(2, 9)}/10 at rest.",
    lambda r: f"Symptoms for {r.randint(2, 14)} days, worse over the last {r.randint(2, 48)} hours.",
    lambda r: f"Weight {r.randint(41, 118)} kg, BMI {tenth(r, 170, 389)} kg/m2, lost {r.randint(2, 9)} kg in "
              f"{r.randint(2, 6)} months.",
    drug_sentence,
    drug_course,
    lambda r: f"Echo: ejection fraction {r.randint(20, 65)}%, TAPSE {r.randint(12, 24)} mm.",
    lambda r: (lambda lo: f"On {r.randint(1, 6)} L/min oxygen via nasal cannula, target saturations "
                          f"{lo}-{lo + 4}%.")(r.randint(88, 92)),
    lambda r: f"Urine output {r.randint(300, 1900)} mL over {pick(r, '12|24')} hours.",
    lambda r: f"Barthel index {r.randint(8, 20) * 5}/100, Braden score {r.randint(9, 20)}.",
    lambda r: f"Wells score {r.randint(0, 7)}, D-dimer {tenth(r, 2, 48)} mg/L FEU.",
    lambda r: f"ECG: sinus rhythm, QTc {r.randint(380, 520)} ms.",
    lambda r: f"Albumin {r.randint(22, 44)} g/L, bilirubin {r.randint(4, 60)} µmol/L, ALT {r.randint(8, 210)} U/L.",
    lambda r: f"TSH {tenth(r, 1, 120)} mU/L, free thyroxine {tenth(r, 80, 260)} pmol/L.",
    lambda r: f"IV fluids {pick(r, '500|1000')} mL over {r.randint(2, 8)} hours.",
    lambda r: f"Insulin glargine {r.randint(8, 40)} units at night, capillary glucose {tenth(r, 41, 189)} mmol/L.",
    lambda r: f"Review in {r.randint(2, 12)} weeks with repeat bloods.",
    lambda r: f"Depression screening score {r.randint(3, 22)}/27.",
)


class Decks:
    """Cycles through each tag's layouts in shuffled order, so every layout is used about equally often."""

    def __init__(self, rng: random.Random):
        self.rng, self.queues, self.used = rng, {}, defaultdict(Counter)

    def draw(self, key: tuple[str, str], names: list[str]) -> str:
        queue = self.queues.setdefault(key, [])
        if not queue:
            queue.extend(names)
            self.rng.shuffle(queue)
        name = queue.pop()
        self.used[key][name] += 1
        return name


def tag_quota(rng: random.Random) -> dict[str, int]:
    """144 or 146 identifiers per tag (even, to split faker/spec in half), 3,200 in all."""
    total = N_NOTES * PER_NOTE
    base = total // len(PHI_TAGS) // 2 * 2
    lucky = set(rng.sample(PHI_TAGS, (total - base * len(PHI_TAGS)) // 2))
    return {t: base + 2 * (t in lucky) for t in PHI_TAGS}


def deal_slots(rng: random.Random, quota: dict[str, int]) -> list[list[tuple[str, str]]]:
    slots = [(t, src) for t, n in quota.items() for src in ("faker", "spec") for _ in range(n // 2)]
    rng.shuffle(slots)
    return [slots[i:i + PER_NOTE] for i in range(0, len(slots), PER_NOTE)]


def locale_fits(locale: str, slots: list[tuple[str, str]]) -> bool:
    faker_tags = {t for t, src in slots if src == "faker"}
    if "SSN" in faker_tags and not has_local_ssn(locale):
        return False
    return not any((locale, t) in DATE_DEPENDENT for t in faker_tags)


def assign_locales(rng: random.Random, plan: list[list[tuple[str, str]]]) -> list[str]:
    """Deal locales from a reshuffled deck, skipping ones whose Faker cannot serve the note's Faker draws."""
    deck: list[str] = []
    chosen = []
    for slots in plan:
        if not any(locale_fits(loc, slots) for loc in deck):
            refill = list(HELDOUT_LOCALES)
            rng.shuffle(refill)
            deck.extend(refill)
        loc = next(loc for loc in deck if locale_fits(loc, slots))
        deck.remove(loc)
        chosen.append(loc)
    return chosen


def clean(value: str) -> str:
    return " ".join(value.replace("\n", ", ").split())


def draw_value(tag: str, source: str, r: random.Random, fake: Faker, decks: Decks) -> str:
    table = SPEC_LAYOUTS[tag] if source == "spec" else FAKER_LAYOUTS[tag]
    layout = decks.draw((source, tag), sorted(table))
    value = clean(table[layout](r) if source == "spec" else table[layout](fake))
    if not value or "[" in value or "]" in value:
        raise ValueError(f"bad {source} {tag} value from {layout}: {value!r}")
    return value


def mark(frame: str, tag: str, value: str) -> str:
    return frame.replace("{}", f"[[{tag}:{value}]]", 1)


def is_adjective_age(tag: str, value: str) -> bool:
    return tag == "AGE" and value.endswith("-year-old")


def body_frames(tag: str, value: str) -> tuple[str, ...]:
    """Sentence frames for one identifier; an adjectival age ("93-year-old") gets frames where it reads naturally."""
    return AGE_ADJECTIVE_FRAMES if is_adjective_age(tag, value) else FRAMES[tag]


def header_line(items: list, r: random.Random) -> tuple[str, list]:
    title = r.choice(TITLES)
    usable = [it for it in items if it[0] in HEADER_FRAMES]
    if not usable or r.random() < 0.35:
        return title, []
    item = r.choice(usable)
    items.remove(item)
    return mark(r.choice(HEADER_FRAMES[item[0]]).replace("{t}", title), item[0], item[2]), [item]


def patient_line(items: list, r: random.Random) -> tuple[str, list]:
    usable = [it for it in items if it[0] in PATIENT_FRAGMENTS]
    if not usable:
        return NO_PATIENT_LINE, []
    usable.sort(key=lambda it: it[0] != "NAME")  # a name, when there is one, leads
    chosen = usable[:r.randint(1, min(3, len(usable)))]
    for it in chosen:
        items.remove(it)
    parts = [mark("{}" if is_adjective_age(t, v) else r.choice(PATIENT_FRAGMENTS[t]), t, v) for t, _, v in chosen]
    return "Patient: " + "; ".join(parts) + ".", chosen


def render_note(slots: list[tuple[str, str]], r: random.Random, fake: Faker, decks: Decks) -> tuple[str, list]:
    """The marked text of one note and its labels' (tag, source) in text order."""
    items = [(tag, src, draw_value(tag, src, r, fake, decks)) for tag, src in slots]
    header, in_header = header_line(items, r)
    patient, in_patient = patient_line(items, r)
    body = [(mark(r.choice(body_frames(t, v)), t, v), [(t, s, v)]) for t, s, v in items]
    body += [(make(r), []) for make in r.sample(CLINICAL, r.randint(3, 6))]
    r.shuffle(body)
    text = "\n".join([header, patient, " ".join(sentence for sentence, _ in body)]).replace(".]].", ".]]")
    order = in_header + in_patient + [it for _, its in body for it in its]
    return text, [(t, s) for t, s, _ in order]


def build_notes() -> tuple[list[dict], Decks]:
    master = random.Random(SEED)
    plan = deal_slots(master, tag_quota(master))
    locales = assign_locales(master, plan)
    decks = Decks(random.Random(master.getrandbits(64)))
    fakers: dict[str, Faker] = {}
    notes = []
    for i, (slots, locale) in enumerate(zip(plan, locales)):
        r = random.Random(master.getrandbits(64))
        if locale not in fakers:
            fakers[locale] = new_faker(locale)
        fake = fakers[locale]
        fake.seed_instance(r.getrandbits(32))
        text, labels = render_note(slots, r, fake, decks)
        check_note(text, labels)
        notes.append({"id": f"{ID_PREFIX}-{i:03d}", "locale": locale, "sources": [s for _, s in labels],
                      "text": text})
    return notes, decks


def require(ok: bool, message: str) -> None:
    """Like assert, but kept under python -O."""
    if not ok:
        raise ValueError(message)


def check_frames() -> None:
    """Digits may only come from labels and clinical sentences: no frame, title or fragment holds one."""
    texts = [f for fs in FRAMES.values() for f in fs] + [f for fs in PATIENT_FRAGMENTS.values() for f in fs]
    texts += list(TITLES) + [f for fs in HEADER_FRAMES.values() for f in fs] + [NO_PATIENT_LINE]
    texts += list(AGE_ADJECTIVE_FRAMES)
    bad = [t for t in texts if any(c.isdigit() for c in t)]
    require(not bad, f"digits in frames: {bad}")
    require(set(FRAMES) == set(PHI_TAGS) == set(SPEC_LAYOUTS) == set(FAKER_LAYOUTS), "a tag lacks frames or layouts")
    require({t for _, (_, tags) in SAFE_HARBOR.items() for t in tags} == set(PHI_TAGS), "tags outside Safe Harbor")


def check_note(text: str, labels: list[tuple[str, str]]) -> None:
    plain, spans = parse_phi_labels(text)
    require(len(spans) == PER_NOTE == len(labels), f"{len(spans)} spans, {len(labels)} labels: {text!r}")
    require([s.type for s in spans] == [t for t, _ in labels], f"label order differs: {text!r}")
    require(all(s.type in PHI_TAGS for s in spans), f"unknown tag: {text!r}")
    require(all(s.text and s.text == s.text.strip() and "\n" not in s.text for s in spans), text)
    require("[[" not in plain and "]]" not in plain, f"unparsed markup: {text!r}")


def check_counts(notes: list[dict]) -> Counter:
    counts: Counter = Counter()
    for note in notes:
        spans = parse_phi_labels(note["text"])[1]
        require(len(note["sources"]) == len(spans), f"{note['id']}: sources and spans differ in number")
        for span, source in zip(spans, note["sources"]):
            counts[span.type, source] += 1
    for tag in PHI_TAGS:
        faker, spec = counts[tag, "faker"], counts[tag, "spec"]
        require(faker == spec and faker + spec >= 100, f"{tag}: {faker} faker, {spec} spec")
    require(sum(counts.values()) == N_NOTES * PER_NOTE and len(notes) == N_NOTES, "wrong number of notes or labels")
    return counts


def render_jsonl(notes: list[dict]) -> bytes:
    return "".join(json.dumps(n, ensure_ascii=False) + "\n" for n in notes).encode("utf-8")


def report(counts: Counter, decks: Decks) -> None:
    print(f"{'tag':<12} {'total':>5} {'faker':>5} {'spec':>5} {'spec layouts':>12} {'faker layouts':>13}")
    for tag in PHI_TAGS:
        print(f"{tag:<12} {counts[tag, 'faker'] + counts[tag, 'spec']:>5} {counts[tag, 'faker']:>5} "
              f"{counts[tag, 'spec']:>5} {len(decks.used['spec', tag]):>12} {len(decks.used['faker', tag]):>13}")
    print(f"total {sum(counts.values())} identifiers in {N_NOTES} notes (Faker {FAKER_VERSION}, seed {SEED})")


def main(argv: list[str]) -> int:
    check_frames()
    notes, decks = build_notes()
    counts = check_counts(notes)
    data = render_jsonl(notes)
    if "--check" in argv:
        if OUT.exists() and OUT.read_bytes() == data:
            print(f"OK: {OUT.name} matches the generator ({len(notes)} notes, seed {SEED}, Faker {FAKER_VERSION})")
            return 0
        print(f"MISMATCH: {OUT.name} differs from what the generator makes (Faker {FAKER_VERSION}); "
              "rerun without --check")
        return 1
    write_text_atomic(OUT, data.decode("utf-8"))
    report(counts, decks)
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
