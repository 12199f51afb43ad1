//! States, towns, districts and schools. The directory is a pure function of the state (it does
//! not depend on the seed), so the same school has the same NCES ID in every data set.

use puente_domain::{CodeSet, StateCode};

/// When families are in a state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Season {
    /// Winter base (TX, FL, CA, AZ).
    Winter,
    /// Summer harvest state (MI, WA, OR, NC, ID, NY ...).
    Summer,
    /// Both (CA, GA have crops most of the year).
    Both,
}

/// How a state writes names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NameStyle {
    /// "JOSE LUIS HERNANDEZ" (no accents).
    Upper,
    /// "José Luis Hernández".
    Accented,
    /// "Jose Luis Hernandez".
    Plain,
}

/// How a state forms its state student IDs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct IdScheme {
    pub(crate) prefix: &'static str,
    pub(crate) digits: u32,
    /// First digit of the numeric part (0 = any non-zero).
    pub(crate) lead: u8,
    pub(crate) mep_assigned: bool,
}

/// Term organisation of secondary courses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Terms {
    Semester,
    Trimester,
    FullYear,
}

/// Everything the generator knows about a state.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StateInfo {
    pub(crate) code: StateCode,
    pub(crate) fips: u32,
    pub(crate) season: Season,
    /// Relative share of migrant families.
    pub(crate) weight: u32,
    pub(crate) zip3: &'static [u32],
    pub(crate) area: &'static [u32],
    pub(crate) towns: &'static [&'static str],
    pub(crate) district_suffix: &'static str,
    pub(crate) ids: IdScheme,
    pub(crate) style: NameStyle,
    pub(crate) letter_grades: bool,
    pub(crate) terms: Terms,
    pub(crate) test: &'static str,
    pub(crate) elp_test: &'static str,
}

const fn ids(prefix: &'static str, digits: u32, lead: u8, mep: bool) -> IdScheme {
    IdScheme {
        prefix,
        digits,
        lead,
        mep_assigned: mep,
    }
}

const KNOWN: &[StateInfo] = &[
    StateInfo {
        code: StateCode::TX,
        fips: 48,
        season: Season::Winter,
        weight: 34,
        zip3: &[785, 788, 780, 790],
        area: &[956, 830, 806],
        towns: &[
            "Weslaco",
            "Pharr",
            "Edinburg",
            "McAllen",
            "Mission",
            "Donna",
            "Brownsville",
            "Eagle Pass",
            "Hereford",
            "Crystal City",
            "Rio Grande City",
            "Mercedes",
        ],
        district_suffix: "ISD",
        ids: ids("T", 9, 0, false),
        style: NameStyle::Upper,
        letter_grades: false,
        terms: Terms::Semester,
        test: "STAAR",
        elp_test: "TELPAS",
    },
    StateInfo {
        code: StateCode::CA,
        fips: 6,
        season: Season::Both,
        weight: 30,
        zip3: &[939, 937, 932, 930, 922],
        area: &[831, 559, 661, 805, 760],
        towns: &[
            "Salinas",
            "Watsonville",
            "Fresno",
            "Delano",
            "Oxnard",
            "Santa Maria",
            "Madera",
            "Stockton",
            "Coachella",
            "Calexico",
            "Arvin",
            "Greenfield",
        ],
        district_suffix: "Unified School District",
        ids: ids("", 10, 0, false),
        style: NameStyle::Accented,
        letter_grades: true,
        terms: Terms::Semester,
        test: "CAASPP",
        elp_test: "ELPAC",
    },
    StateInfo {
        code: StateCode::FL,
        fips: 12,
        season: Season::Winter,
        weight: 16,
        zip3: &[341, 330, 334, 335],
        area: &[239, 305, 561, 813],
        towns: &[
            "Immokalee",
            "Homestead",
            "Belle Glade",
            "Plant City",
            "Wimauma",
            "Dover",
            "Apopka",
            "Fort Pierce",
            "Arcadia",
            "Wauchula",
        ],
        district_suffix: "County School District",
        ids: ids("FL", 10, 0, true),
        style: NameStyle::Upper,
        letter_grades: true,
        terms: Terms::Semester,
        test: "FAST",
        elp_test: "ACCESS for ELLs",
    },
    StateInfo {
        code: StateCode::WA,
        fips: 53,
        season: Season::Summer,
        weight: 14,
        zip3: &[989, 988, 993, 982],
        area: &[509, 360],
        towns: &[
            "Yakima",
            "Wenatchee",
            "Pasco",
            "Othello",
            "Sunnyside",
            "Mount Vernon",
            "Quincy",
            "Mattawa",
            "Toppenish",
            "Grandview",
        ],
        district_suffix: "School District",
        ids: ids("", 10, 7, false),
        style: NameStyle::Accented,
        letter_grades: true,
        terms: Terms::Semester,
        test: "Smarter Balanced",
        elp_test: "WA-ELPA21",
    },
    StateInfo {
        code: StateCode::NC,
        fips: 37,
        season: Season::Summer,
        weight: 9,
        zip3: &[283, 285, 287],
        area: &[910, 252, 828],
        towns: &[
            "Dunn",
            "Clinton",
            "Kinston",
            "Mount Olive",
            "Newton Grove",
            "Hendersonville",
            "Faison",
            "Benson",
        ],
        district_suffix: "County Schools",
        ids: ids("", 10, 4, false),
        style: NameStyle::Upper,
        letter_grades: false,
        terms: Terms::Semester,
        test: "NC EOG",
        elp_test: "ACCESS for ELLs",
    },
    StateInfo {
        code: StateCode::MI,
        fips: 26,
        season: Season::Summer,
        weight: 10,
        zip3: &[493, 494, 490, 496],
        area: &[616, 231, 269],
        towns: &[
            "Sparta",
            "Hart",
            "Shelby",
            "Watervliet",
            "Coloma",
            "Holland",
            "Fennville",
            "Traverse City",
            "South Haven",
        ],
        district_suffix: "Public Schools",
        ids: ids("", 10, 0, false),
        style: NameStyle::Plain,
        letter_grades: true,
        terms: Terms::Trimester,
        test: "M-STEP",
        elp_test: "WIDA ACCESS",
    },
    StateInfo {
        code: StateCode::OR,
        fips: 41,
        season: Season::Summer,
        weight: 8,
        zip3: &[970, 971, 978, 975],
        area: &[503, 541],
        towns: &[
            "Woodburn",
            "Hood River",
            "Hermiston",
            "Independence",
            "Gervais",
            "Ontario",
            "Medford",
            "Cornelius",
        ],
        district_suffix: "School District",
        ids: ids("", 9, 0, false),
        style: NameStyle::Accented,
        letter_grades: true,
        terms: Terms::Semester,
        test: "OSAS",
        elp_test: "ELPA21",
    },
    StateInfo {
        code: StateCode::GA,
        fips: 13,
        season: Season::Both,
        weight: 7,
        zip3: &[317, 315, 304],
        area: &[229, 912],
        towns: &[
            "Moultrie",
            "Tifton",
            "Vidalia",
            "Lyons",
            "Norman Park",
            "Cairo",
            "Adel",
            "Dalton",
        ],
        district_suffix: "County Schools",
        ids: ids("", 10, 0, false),
        style: NameStyle::Upper,
        letter_grades: false,
        terms: Terms::Semester,
        test: "Georgia Milestones",
        elp_test: "ACCESS for ELLs",
    },
    StateInfo {
        code: StateCode::ID,
        fips: 16,
        season: Season::Summer,
        weight: 6,
        zip3: &[836, 833, 832],
        area: &[208],
        towns: &[
            "Caldwell",
            "Nampa",
            "Rupert",
            "Burley",
            "Twin Falls",
            "Wilder",
            "Blackfoot",
            "Jerome",
        ],
        district_suffix: "School District",
        ids: ids("", 9, 0, false),
        style: NameStyle::Upper,
        letter_grades: true,
        terms: Terms::Semester,
        test: "ISAT",
        elp_test: "ACCESS for ELLs",
    },
    StateInfo {
        code: StateCode::NY,
        fips: 36,
        season: Season::Summer,
        weight: 6,
        zip3: &[144, 145, 125, 109],
        area: &[585, 315, 845],
        towns: &[
            "Albion",
            "Brockport",
            "Sodus",
            "Geneva",
            "Wolcott",
            "Hudson",
            "Goshen",
            "Medina",
        ],
        district_suffix: "Central School District",
        ids: ids("", 10, 0, false),
        style: NameStyle::Accented,
        letter_grades: false,
        terms: Terms::FullYear,
        test: "NYSTP",
        elp_test: "NYSESLAT",
    },
    StateInfo {
        code: StateCode::AZ,
        fips: 4,
        season: Season::Winter,
        weight: 5,
        zip3: &[853, 852],
        area: &[928, 520],
        towns: &["Yuma", "Somerton", "San Luis", "Gadsden", "Marana"],
        district_suffix: "Elementary School District",
        ids: ids("", 10, 0, false),
        style: NameStyle::Plain,
        letter_grades: true,
        terms: Terms::Semester,
        test: "AASA",
        elp_test: "AZELLA",
    },
];

const GENERIC_TOWNS: &[&str] = &[
    "Riverside",
    "Fairview",
    "Greenville",
    "Springfield",
    "Clinton",
    "Madison",
    "Georgetown",
    "Salem",
    "Franklin",
    "Marion",
];

const fn fips_of(code: StateCode) -> u32 {
    use StateCode::*;
    match code {
        AL => 1,
        AK => 2,
        AZ => 4,
        AR => 5,
        CA => 6,
        CO => 8,
        CT => 9,
        DE => 10,
        DC => 11,
        FL => 12,
        GA => 13,
        HI => 15,
        ID => 16,
        IL => 17,
        IN => 18,
        IA => 19,
        KS => 20,
        KY => 21,
        LA => 22,
        ME => 23,
        MD => 24,
        MA => 25,
        MI => 26,
        MN => 27,
        MS => 28,
        MO => 29,
        MT => 30,
        NE => 31,
        NV => 32,
        NH => 33,
        NJ => 34,
        NM => 35,
        NY => 36,
        NC => 37,
        ND => 38,
        OH => 39,
        OK => 40,
        OR => 41,
        PA => 42,
        RI => 44,
        SC => 45,
        SD => 46,
        TN => 47,
        TX => 48,
        UT => 49,
        VT => 50,
        VA => 51,
        WA => 53,
        WV => 54,
        WI => 55,
        WY => 56,
        PR => 72,
    }
}

/// The generator's facts about `code` (a generic profile for states not in the table).
pub(crate) fn state_info(code: StateCode) -> StateInfo {
    if let Some(s) = KNOWN.iter().find(|s| s.code == code) {
        return *s;
    }
    let fips = fips_of(code);
    StateInfo {
        code,
        fips,
        season: Season::Summer,
        weight: 3,
        zip3: &[500, 510, 520],
        area: &[555],
        towns: GENERIC_TOWNS,
        district_suffix: "School District",
        ids: ids(code.code(), 8, 0, false),
        style: NameStyle::Plain,
        letter_grades: true,
        terms: Terms::Semester,
        test: "State Assessment",
        elp_test: "ACCESS for ELLs",
    }
}

/// The default set of states.
pub(crate) const DEFAULT_STATES: &[StateCode] = &[
    StateCode::TX,
    StateCode::CA,
    StateCode::FL,
    StateCode::WA,
    StateCode::NC,
    StateCode::MI,
    StateCode::OR,
    StateCode::GA,
    StateCode::ID,
    StateCode::NY,
];

/// A school (or the site of an MEP project).
#[derive(Debug, Clone)]
pub(crate) struct School {
    pub(crate) name: String,
    pub(crate) nces_id: String,
    pub(crate) address: String,
    pub(crate) phone: String,
}

/// A town with its district and schools.
#[derive(Debug, Clone)]
pub(crate) struct Town {
    pub(crate) name: &'static str,
    pub(crate) district_id: String,
    pub(crate) district_name: String,
    pub(crate) zip: String,
    pub(crate) elementary: [School; 2],
    pub(crate) middle: School,
    pub(crate) high: School,
}

/// A state's directory of towns.
#[derive(Debug, Clone)]
pub(crate) struct StateDir {
    pub(crate) info: StateInfo,
    pub(crate) towns: Vec<Town>,
}

const ELEMENTARY_STEMS: &[&str] = &[
    "Lincoln",
    "Washington",
    "César Chávez",
    "Roosevelt",
    "Jefferson",
    "Sunnyside",
    "Lakeview",
    "Valley View",
    "Dolores Huerta",
    "Garfield",
    "Highland",
    "Westside",
    "Eastside",
    "Benito Juárez",
    "Kennedy",
    "Martin Luther King Jr.",
];
const STREETS: &[&str] = &[
    "N Main St",
    "E Oak Ave",
    "S 10th St",
    "W Pioneer Rd",
    "Cesar Chavez Blvd",
    "Lincoln Ave",
    "Orchard Rd",
    "Valley View Dr",
    "E Highway 83",
    "School St",
];

fn mix(a: u64) -> u64 {
    // splitmix64 finaliser
    let mut z = a.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl StateDir {
    pub(crate) fn build(code: StateCode) -> Self {
        let info = state_info(code);
        let mut towns = Vec::with_capacity(info.towns.len());
        for (ti, &name) in info.towns.iter().enumerate() {
            let h = mix(u64::from(info.fips) << 32 | ti as u64);
            // NCES LEA ID: 2-digit FIPS + 5 digits; school ID: LEA ID + 5 digits.
            let lea_local = 1000 + ti as u64 * 6733 + h % 500;
            let district_id = format!("{:02}{:05}", info.fips, lea_local % 100_000);
            let district_name = format!("{name} {}", info.district_suffix);
            let zip3 = info.zip3[ti % info.zip3.len()];
            let zip = format!("{zip3:03}{:02}", (h >> 20) % 100);
            let area = info.area[ti % info.area.len()];
            let school = |k: u64, name: String| {
                let hk = mix(h ^ (k + 1));
                School {
                    name,
                    nces_id: format!("{district_id}{:05}", 100 + k * 37 + hk % 30),
                    address: format!(
                        "{} {}",
                        100 + hk % 4800,
                        STREETS[(hk >> 16) as usize % STREETS.len()]
                    ),
                    phone: format!("{area}{}{:04}", 200 + (hk >> 8) % 700, (hk >> 24) % 10_000),
                }
            };
            let e1 = ELEMENTARY_STEMS[(h >> 8) as usize % ELEMENTARY_STEMS.len()];
            let mut e2 = ELEMENTARY_STEMS[(h >> 16) as usize % ELEMENTARY_STEMS.len()];
            if e2 == e1 {
                e2 = "Pioneer";
            }
            towns.push(Town {
                name,
                district_id: district_id.clone(),
                district_name,
                zip,
                elementary: [
                    school(0, format!("{e1} Elementary School")),
                    school(1, format!("{e2} Elementary School")),
                ],
                middle: school(2, format!("{name} Middle School")),
                high: school(3, format!("{name} High School")),
            });
        }
        Self { info, towns }
    }
}

/// Places families come from outside the exchange: Mexican and Guatemalan towns with a state
/// abbreviation, and US towns in states that may not take part.
pub(crate) const MX_TOWNS: &[(&str, &str)] = &[
    ("Morelia", "MICH"),
    ("Zamora", "MICH"),
    ("Uruapan", "MICH"),
    ("Apatzingán", "MICH"),
    ("Guadalajara", "JAL"),
    ("Tepatitlán", "JAL"),
    ("Irapuato", "GTO"),
    ("Celaya", "GTO"),
    ("Oaxaca", "OAX"),
    ("Juchitán", "OAX"),
    ("Tehuacán", "PUE"),
    ("Matamoros", "TAMPS"),
    ("Reynosa", "TAMPS"),
    ("Monterrey", "NL"),
    ("Culiacán", "SIN"),
    ("San Luis Río Colorado", "SON"),
    ("Zacatecas", "ZAC"),
    ("Fresnillo", "ZAC"),
    ("Durango", "DGO"),
    ("Tapachula", "CHIS"),
    ("Acapulco", "GRO"),
    ("Chilpancingo", "GRO"),
    ("San Luis Potosí", "SLP"),
    ("Torreón", "COAH"),
];
pub(crate) const GT_TOWNS: &[(&str, &str)] = &[
    ("Huehuetenango", "HUE"),
    ("San Pedro Soloma", "HUE"),
    ("Quetzaltenango", "QUE"),
    ("San Marcos", "SM"),
    ("Totonicapán", "TOT"),
    ("Cobán", "AV"),
];
pub(crate) const US_OTHER_TOWNS: &[(&str, &str)] = &[
    ("Yuma", "AZ"),
    ("Greeley", "CO"),
    ("Fort Morgan", "CO"),
    ("Las Cruces", "NM"),
    ("Vineland", "NJ"),
    ("Kennett Square", "PA"),
    ("Lexington", "NE"),
    ("Garden City", "KS"),
    ("Rochelle", "IL"),
    ("Willmar", "MN"),
    ("Dodge City", "KS"),
    ("Salisbury", "MD"),
];
