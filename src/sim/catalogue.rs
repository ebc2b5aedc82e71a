//! The simulator's catalogue: the fixed tables a generated library draws from (cameras with their
//! file-name styles, places, the content words of the toy CLIP embedding, the fixed people) and its
//! fixed times (when the accounts were created and the assets uploaded). Data only: the generator,
//! the state and the JSON all read it, and it depends on none of them.

/// When the generated accounts and their uploads were created (fixed, so output is stable).
pub const ACCOUNTS_CREATED_MS: i64 = 1_768_471_200_000; // 2026-01-15T10:00:00Z
/// Upload time of asset `idx` is this plus `idx` × 1.234 s.
pub const UPLOADS_START_MS: i64 = ACCOUNTS_CREATED_MS + 3_600_000;

/// How file names look for a camera.
#[derive(Debug, Clone, Copy)]
pub enum NameStyle {
    Apple,
    Pixel,
    Canon,
    Sony,
    Samsung,
}

pub struct Camera {
    pub make: &'static str,
    pub model: &'static str,
    pub lens: &'static str,
    pub style: NameStyle,
}

pub static CAMERAS: [Camera; 6] = [
    Camera {
        make: "Apple",
        model: "iPhone 15 Pro",
        lens: "iPhone 15 Pro back triple camera 6.765mm f/1.78",
        style: NameStyle::Apple,
    },
    Camera {
        make: "Apple",
        model: "iPhone 8",
        lens: "iPhone 8 back camera 3.99mm f/1.8",
        style: NameStyle::Apple,
    },
    Camera {
        make: "Google",
        model: "Pixel 8",
        lens: "Pixel 8 back camera 6.9mm f/1.68",
        style: NameStyle::Pixel,
    },
    Camera {
        make: "Canon",
        model: "Canon EOS R6",
        lens: "RF24-105mm F4 L IS USM",
        style: NameStyle::Canon,
    },
    Camera {
        make: "Sony",
        model: "ILCE-7M3",
        lens: "FE 24-70mm F2.8 GM",
        style: NameStyle::Sony,
    },
    Camera {
        make: "Samsung",
        model: "SM-S918B",
        lens: "Galaxy S23 Ultra back camera 6.3mm f/1.7",
        style: NameStyle::Samsung,
    },
];

pub struct Place {
    pub city: &'static str,
    pub state: &'static str,
    pub country: &'static str,
    pub lat: f64,
    pub lon: f64,
    pub tz_hours: i8,
}

pub static PLACES: [Place; 5] = [
    Place {
        city: "Helsinki",
        state: "Uusimaa",
        country: "Finland",
        lat: 60.169_857,
        lon: 24.938_379,
        tz_hours: 2,
    },
    Place {
        city: "Rome",
        state: "Lazio",
        country: "Italy",
        lat: 41.868_828,
        lon: 12.484_984,
        tz_hours: 1,
    },
    Place {
        city: "Paris",
        state: "Ile-de-France",
        country: "France",
        lat: 48.833_984,
        lon: 2.338_948,
        tz_hours: 1,
    },
    Place {
        city: "Berlin",
        state: "Berlin",
        country: "Germany",
        lat: 52.520_008,
        lon: 13.404_954,
        tz_hours: 1,
    },
    Place {
        city: "Lisbon",
        state: "Lisbon",
        country: "Portugal",
        lat: 38.722_252,
        lon: -9.139_337,
        tz_hours: 0,
    },
];

/// The toy embedding vocabulary; an asset's content words are a bitmask over this table.
pub static WORDS: [&str; 20] = [
    "beach",
    "sunset",
    "mountain",
    "snow",
    "dog",
    "cat",
    "car",
    "birthday",
    "cake",
    "food",
    "city",
    "forest",
    "lake",
    "screenshot",
    "document",
    "nsfw",
    "swimsuit",
    "party",
    "museum",
    "bike",
];

/// Every account's people: these three, then one per account user (display names).
pub const FIXED_PEOPLE: [&str; 3] = ["Mia", "Leo", "Anna"];

/// The bit of a content word in an asset's word mask (0 for a word the catalogue does not have).
pub fn word_bit(word: &str) -> u32 {
    WORDS.iter().position(|w| *w == word).map_or(0, |i| 1 << i)
}
