"""The demo's content. Every company is fictional; the code provisions are the kind real
programs enforce (DESIGN.md §8); the coordinates are real places where such farms and
factories are found."""

import datetime
from decimal import Decimal

# Every demo persona logs in with this password (documented in the README).
DEMO_PASSWORD = "wsr-demo-2026"  # noqa: S105

FARM = {
    "slug": "fair-harvest",
    "name": "Fair Harvest Program",
    "worker_organization": "Coalition of Harvest Workers",
    "description": (
        "A worker-driven program for tomato and vegetable farms in the south-eastern United "
        "States. Participating buyers pay a premium of one cent per pound, passed to workers "
        "as a line item on every paycheck, and stop buying from farms that break the code."
    ),
    "sector": "agriculture",
    "country": "US",
    "languages": ["en", "es", "ht"],
    "hotline": "+1 239 555 0142",
    "persona_prefix": "harvest",
    "code_name": "Fair Harvest Code of Conduct",
    "code_description": "Written and ratified by the farmworkers of the Coalition.",
    "effective_date": datetime.date(2026, 1, 1),
    "premium_rate": Decimal("0.010000"),
    "premium_currency": "USD",
    "premium_unit": "lb",
    "agreement_title": "Fair Harvest Agreement",
    "consequence_clause": (
        "The buyer purchases only from growers in good standing. After a confirmed "
        "zero-tolerance violation the buyer suspends purchases from the grower for at least "
        "90 days; after harassment with physical contact, for at least three months unless "
        "the harasser is dismissed at once. Repeated major violations escalate to suspension."
    ),
}

# (number, section, title, text, category, severity, {lang: title})
FARM_PROVISIONS = [
    (
        "1.1",
        "Zero tolerance",
        "Zero tolerance: forced labor",
        "No worker may be held by debt, threat, confiscated documents or any other coercion.",
        "forced_labor",
        "zero_tolerance",
        {"es": "Tolerancia cero: trabajo forzoso", "ht": "Zewo tolerans: travay fòse"},
    ),
    (
        "1.2",
        "Zero tolerance",
        "Zero tolerance: child labor",
        "No person under the legal working age works on a participating farm.",
        "child_labor",
        "zero_tolerance",
        {"es": "Tolerancia cero: trabajo infantil", "ht": "Zewo tolerans: travay timoun"},
    ),
    (
        "1.3",
        "Zero tolerance",
        "Zero tolerance: violence",
        "No supervisor or co-worker uses or threatens physical violence against a worker.",
        "violence",
        "zero_tolerance",
        {"es": "Tolerancia cero: violencia", "ht": "Zewo tolerans: vyolans"},
    ),
    (
        "1.4",
        "Zero tolerance",
        "Zero tolerance: sexual assault",
        "Sexual assault of a worker leads to suspension of the grower from the program.",
        "sexual_harassment",
        "zero_tolerance",
        {"es": "Tolerancia cero: agresión sexual", "ht": "Zewo tolerans: agresyon seksyèl"},
    ),
    (
        "2.1",
        "Dignity at work",
        "No sexual harassment",
        "Harassment with physical contact means buyers curtail purchases for at least three "
        "months unless the harasser is dismissed at once.",
        "sexual_harassment",
        "major",
        {"es": "Sin acoso sexual", "ht": "Pa gen arasman seksyèl"},
    ),
    (
        "2.2",
        "Dignity at work",
        "No retaliation for complaints",
        "No worker is disciplined, dismissed or blacklisted for filing a complaint or "
        "speaking with the monitors.",
        "retaliation",
        "major",
        {"es": "Ninguna represalia por presentar quejas", "ht": "Pa gen represay pou plent"},
    ),
    (
        "3.1",
        "Pay",
        "Premium passed through on each paycheck",
        "The buyer premium is paid to workers as a separate line item on every paycheck.",
        "premium",
        "major",
        {
            "es": "La prima se paga en cada cheque de pago",
            "ht": "Prim lan peye sou chak chèk",
        },
    ),
    (
        "3.2",
        "Pay",
        "Buckets counted at the standard fill",
        "Piece rates are counted on a standard bucket; workers are not made to overfill it.",
        "wages",
        "major",
        {
            "es": "Cubetas contadas al llenado estándar, sin copete",
            "ht": "Bokit yo konte nan nivo estanda, san debòde",
        },
    ),
    (
        "3.3",
        "Pay",
        "All hours recorded",
        "Every hour on the farm, including waiting time, is recorded on a timekeeping "
        "system the workers control.",
        "hours",
        "major",
        {"es": "Todas las horas registradas", "ht": "Tout lè travay yo anrejistre"},
    ),
    (
        "3.4",
        "Pay",
        "Hired as employees and paid directly",
        "Workers are employees of the grower and paid directly, not through labor contractors.",
        "wages",
        "major",
        {
            "es": "Contratados como empleados y pagados directamente",
            "ht": "Anboche kòm anplwaye epi peye dirèkteman",
        },
    ),
    (
        "4.1",
        "Health and safety",
        "Shade, water and protective equipment",
        "Free protective equipment, shade and clean drinking water at every field.",
        "health_safety",
        "major",
        {
            "es": "Sombra, agua y equipo de protección gratuitos",
            "ht": "Lonbraj, dlo ak ekipman pwoteksyon gratis",
        },
    ),
    (
        "4.2",
        "Health and safety",
        "Safe transport to the fields",
        "Buses and vans carrying workers are licensed, insured and have a seat for each rider.",
        "health_safety",
        "minor",
        {"es": "Transporte seguro al campo", "ht": "Transpò an sekirite pou ale nan jaden"},
    ),
]

FARM_BUYERS = [
    ("Greenleaf Grocers", "US", "https://greenleaf-grocers.example.com"),
    ("Sunbelt Fresh Markets", "US", "https://sunbelt-fresh.example.com"),
    ("Big Tomato Burger Co.", "US", "https://bigtomato.example.com"),
    ("Cascadia Foodservice", "CA", "https://cascadia-foodservice.example.com"),
    ("Harbor Kitchen Restaurants", "US", "https://harbor-kitchen.example.com"),
]

# (legal name, facility name, address, latitude, longitude, workers)
FARM_SUPPLIERS = [
    (
        "Lake Trafford Growers LLC",
        "Lake Trafford Farm",
        "1400 Lake Trafford Rd, Immokalee, FL 34142",
        "26.428300",
        "-81.482100",
        420,
    ),
    (
        "Corkscrew Produce Inc.",
        "Corkscrew Road Fields",
        "6200 Corkscrew Rd, Immokalee, FL 34142",
        "26.437900",
        "-81.389400",
        310,
    ),
    (
        "Redland Vine Farms LLC",
        "Redland Farm",
        "24800 SW 187th Ave, Homestead, FL 33031",
        "25.528600",
        "-80.510300",
        260,
    ),
    (
        "Hillsborough Berry & Tomato Co.",
        "Plant City Packing Fields",
        "3800 Sam Allen Rd, Plant City, FL 33565",
        "28.041200",
        "-82.108700",
        380,
    ),
    (
        "Manatee River Farms Inc.",
        "Palmetto Fields",
        "4100 Moccasin Wallow Rd, Palmetto, FL 34221",
        "27.580500",
        "-82.520400",
        290,
    ),
    (
        "Ruskin Coastal Growers",
        "Ruskin Farm",
        "2100 Shell Point Rd, Ruskin, FL 33570",
        "27.714600",
        "-82.418900",
        175,
    ),
    (
        "Glades Harvest Partners",
        "Belle Glade Block 7",
        "900 State Rd 715, Belle Glade, FL 33430",
        "26.668100",
        "-80.667200",
        220,
    ),
    (
        "Gadsden Shade Tomato Co.",
        "Quincy Farm",
        "1850 Hwy 12, Quincy, FL 32351",
        "30.604100",
        "-84.561200",
        140,
    ),
    (
        "Colquitt County Vegetables LLC",
        "Moultrie Farm",
        "4500 GA-37, Moultrie, GA 31768",
        "31.175600",
        "-83.851800",
        330,
    ),
    (
        "Tift Area Produce",
        "Tifton Fields",
        "2200 Whiddon Mill Rd, Tifton, GA 31793",
        "31.476200",
        "-83.532800",
        190,
    ),
    (
        "Lowndes Family Farms Inc.",
        "Valdosta Farm",
        "5300 Bemiss Rd, Valdosta, GA 31605",
        "30.918400",
        "-83.243100",
        160,
    ),
    (
        "Duplin Fresh Farms LLC",
        "Faison Fields",
        "300 Faison Hwy, Faison, NC 28341",
        "35.117000",
        "-78.138900",
        240,
    ),
    (
        "Mount Olive Sweet Potato Growers",
        "Mount Olive Farm",
        "1800 NC-55, Mount Olive, NC 28365",
        "35.211400",
        "-78.044700",
        210,
    ),
    (
        "Sampson County Produce",
        "Clinton Farm",
        "2700 Warsaw Rd, Clinton, NC 28328",
        "34.982700",
        "-78.295600",
        150,
    ),
    (
        "Sea Island Tomato Farms",
        "Johns Island Farm",
        "3500 River Rd, Johns Island, SC 29455",
        "32.743200",
        "-80.064300",
        270,
    ),
]

GARMENT = {
    "slug": "safe-factories",
    "name": "Safe Factories Accord",
    "worker_organization": "Garment Workers' Safety Alliance",
    "description": (
        "A binding agreement between garment brands and the workers' unions on fire, "
        "electrical and structural safety in Bangladesh's garment factories, with "
        "independent inspections, public corrective action plans and a three-stage "
        "escalation that ends in termination of business."
    ),
    "sector": "garment",
    "country": "BD",
    "languages": ["en", "bn"],
    "hotline": "+880 9612 555 010",
    "persona_prefix": "accord",
    "code_name": "Safe Factories Code",
    "code_description": "Safety standards agreed by the signatory unions and brands.",
    "effective_date": datetime.date(2026, 2, 1),
    "premium_rate": Decimal("0"),
    "premium_currency": "USD",
    "premium_unit": "unit",
    "agreement_title": "Safe Factories Accord",
    "consequence_clause": (
        "A factory that fails to remediate is escalated in three stages: notice; warning "
        "with a mandatory meeting; termination of business relationships with every "
        "signatory brand. Brands keep orders at a level that lets the factory pay for the "
        "repairs, and workers keep wages and jobs for up to six months during closures."
    ),
}

GARMENT_PROVISIONS = [
    (
        "1.1",
        "Fire safety",
        "Fire exits and alarms",
        "Every floor has unlocked, lit fire exits to the outside and a working fire alarm.",
        "health_safety",
        "major",
        {"bn": "অগ্নি নির্গমন পথ ও অ্যালার্ম"},
    ),
    (
        "1.2",
        "Electrical safety",
        "Safe electrical wiring",
        "Wiring, panels and generators meet the national building code and are inspected.",
        "health_safety",
        "major",
        {"bn": "নিরাপদ বৈদ্যুতিক ওয়্যারিং"},
    ),
    (
        "1.3",
        "Structural safety",
        "Structural integrity and evacuation",
        "A building with a critical structural finding is evacuated at once until it is made safe.",
        "health_safety",
        "zero_tolerance",
        {"bn": "ভবনের কাঠামোগত নিরাপত্তা ও ভবন খালি করা"},
    ),
    (
        "2.1",
        "Workers' voice",
        "Safety committee in every factory",
        "Each factory has a trained safety committee with elected worker members.",
        "health_safety",
        "minor",
        {"bn": "প্রতিটি কারখানায় নিরাপত্তা কমিটি"},
    ),
    (
        "2.2",
        "Workers' voice",
        "Freedom of association",
        "Workers may form and join unions without interference.",
        "association",
        "major",
        {"bn": "সংগঠন করার স্বাধীনতা"},
    ),
    (
        "2.3",
        "Workers' voice",
        "Right to refuse unsafe work",
        "A worker may refuse to enter a building they believe unsafe without losing pay.",
        "health_safety",
        "major",
        {"bn": "অনিরাপদ কাজ প্রত্যাখ্যানের অধিকার"},
    ),
    (
        "2.4",
        "Workers' voice",
        "No retaliation for raising safety concerns",
        "No worker is punished for reporting a hazard or filing a complaint.",
        "retaliation",
        "zero_tolerance",
        {"bn": "নিরাপত্তা নিয়ে অভিযোগ করলে কোনো প্রতিশোধ নয়"},
    ),
    (
        "3.1",
        "Remediation",
        "Wages and jobs kept during closures",
        "While a factory closes for remediation, workers keep their wages and jobs for up "
        "to six months.",
        "wages",
        "major",
        {"bn": "সংস্কারকালীন বন্ধে মজুরি ও চাকরি বহাল"},
    ),
    (
        "4.1",
        "Zero tolerance",
        "Zero tolerance: forced labor",
        "No worker is held by debt, threat or confiscated documents.",
        "forced_labor",
        "zero_tolerance",
        {"bn": "জোরপূর্বক শ্রম: শূন্য সহনশীলতা"},
    ),
    (
        "4.2",
        "Zero tolerance",
        "Zero tolerance: child labor",
        "No person under the legal working age works in the factory.",
        "child_labor",
        "zero_tolerance",
        {"bn": "শিশুশ্রম: শূন্য সহনশীলতা"},
    ),
]

GARMENT_BUYERS = [
    ("Nordvik Apparel AB", "SE", "https://nordvik-apparel.example.com"),
    ("Maple & Pine Clothing", "CA", "https://maple-pine.example.com"),
    ("Rheinwerk Mode GmbH", "DE", "https://rheinwerk-mode.example.com"),
    ("Thistle Street Retail plc", "GB", "https://thistle-street.example.com"),
    ("Blue Harbor Outfitters", "US", "https://blue-harbor.example.com"),
]

GARMENT_SUPPLIERS = [
    (
        "Mirpur Knit Composite Ltd.",
        "Mirpur Knit Unit 1",
        "Plot 12, Section 7, Mirpur, Dhaka 1216",
        "23.822300",
        "90.365400",
        2400,
    ),
    (
        "Pallabi Garments Ltd.",
        "Pallabi Factory",
        "House 4, Road 3, Pallabi, Mirpur 12, Dhaka 1216",
        "23.826900",
        "90.364100",
        1100,
    ),
    (
        "Tejgaon Fashion Wear Ltd.",
        "Tejgaon Unit",
        "210 Tejgaon Industrial Area, Dhaka 1208",
        "23.763900",
        "90.399900",
        1650,
    ),
    (
        "Ashulia Denim Mills Ltd.",
        "Ashulia Denim Plant",
        "Baipail, Ashulia, Savar, Dhaka 1349",
        "23.940100",
        "90.276900",
        5200,
    ),
    (
        "Savar Sweater Industries",
        "Savar Sweater Factory",
        "Hemayetpur, Savar, Dhaka 1340",
        "23.790400",
        "90.268300",
        1900,
    ),
    (
        "Tongi Apparels Ltd.",
        "Tongi Factory",
        "Cherag Ali Market, Tongi, Gazipur 1710",
        "23.897800",
        "90.405600",
        2100,
    ),
    (
        "Konabari Textiles Ltd.",
        "Konabari Composite",
        "Konabari, Kashimpur Road, Gazipur 1751",
        "24.016200",
        "90.332800",
        3800,
    ),
    (
        "Chandra Knitwear Ltd.",
        "Chandra Unit 2",
        "Chandra, Kaliakair, Gazipur 1750",
        "24.043100",
        "90.238900",
        2700,
    ),
    (
        "Sreepur Garments Ltd.",
        "Sreepur Factory",
        "Mawna, Sreepur, Gazipur 1740",
        "24.212300",
        "90.398900",
        1450,
    ),
    (
        "Board Bazar Fashions",
        "Board Bazar Unit",
        "Board Bazar, National University Road, Gazipur 1704",
        "23.946800",
        "90.385200",
        980,
    ),
    (
        "Narayanganj Knit Exports",
        "Fatullah Knit Unit",
        "BSCIC Industrial Estate, Fatullah, Narayanganj 1421",
        "23.634200",
        "90.489700",
        1750,
    ),
    (
        "Karnaphuli Apparels Ltd.",
        "CEPZ Factory",
        "Plot 21, Chittagong EPZ, South Halishahar, Chattogram 4223",
        "22.288900",
        "91.785600",
        3100,
    ),
    (
        "Kalurghat Garments Ltd.",
        "Kalurghat Unit",
        "Kalurghat Heavy Industrial Area, Chattogram 4212",
        "22.393800",
        "91.856700",
        1300,
    ),
    (
        "Patenga Sportswear Ltd.",
        "Patenga Factory",
        "Airport Road, Patenga, Chattogram 4204",
        "22.257900",
        "91.800400",
        890,
    ),
    (
        "Karnaphuli EPZ Denim Ltd.",
        "KEPZ Denim Plant",
        "Karnaphuli EPZ, North Patenga, Chattogram 4204",
        "22.272300",
        "91.811200",
        4100,
    ),
]
