//! The seeded data generator: `generate` builds the initial `State` for a `SimConfig`
//! deterministically from its seed, drawing from the tables of [`super::catalogue`]. It sits on the
//! model (`state`), below what renders and serves it.

use std::collections::{HashMap, HashSet};

use super::catalogue::{ACCOUNTS_CREATED_MS, CAMERAS, FIXED_PEOPLE, PLACES, WORDS, word_bit};
use super::rng::Rng;
use super::state::{
    ApiKey, AssetRec, FLAG_FAVORITE, FLAG_SCREENSHOT, FLAG_VIDEO, NO_CAMERA, NO_PLACE, State, User,
    Visibility,
};
use super::types::SimConfig;

/// People bitmasks are `u32`: three fixed people plus one per account.
pub const MAX_ACCOUNTS: usize = 29;

const AVATARS: [&str; 9] = [
    "orange", "blue", "green", "purple", "pink", "red", "yellow", "gray", "amber",
];

/// Build the initial state for a configuration.
pub fn generate(config: &SimConfig) -> State {
    let mut rng = Rng::new(config.seed);
    let users: Vec<User> = config
        .accounts
        .iter()
        .enumerate()
        .map(|(i, name)| User {
            name: name.clone(),
            display: capitalise(name),
            id: rng.uuid(),
            email: format!("{name}@example.com"),
            avatar: AVATARS[i % AVATARS.len()],
            created_ms: ACCOUNTS_CREATED_MS + i as i64 * 1000,
        })
        .collect();

    let mut state = State {
        line: config.immich,
        reported_version: None,
        smart_shortfall: 0,
        people_page_cap: None,
        original_pace: None,
        api_endpoint: None,
        pending_acts: Vec::new(),
        miscounted_albums: 0,
        keys: Vec::new(),
        people: Vec::new(),
        person_index: HashMap::new(),
        renamed: HashMap::new(),
        tags: vec![Vec::new(); users.len()],
        asset_tags: HashMap::new(),
        links: Vec::new(),
        assets: Vec::with_capacity(users.len() * config.assets_per_account),
        asset_index: HashMap::with_capacity(users.len() * config.assets_per_account),
        owner_ranges: Vec::new(),
        uploaded: vec![Vec::new(); users.len()],
        original_sizes: HashMap::new(),
        uploaded_names: HashMap::new(),
        albums: Vec::new(),
        trashed: HashMap::new(),
        purged: HashSet::new(),
        updated: HashMap::new(),
        album_salt: super::rng::instance_salt(),
        partners: HashSet::new(),
        log: Vec::new(),
        next_seq: 0,
        search_cache: HashMap::new(),
        rng: Rng::stream(config.seed, u64::MAX),
        users,
    };

    for (user, name) in config.accounts.iter().enumerate() {
        state.keys.push(ApiKey {
            secret: rng.alnum(40),
            id: rng.uuid(),
            name: format!("{name}-key"),
            user,
            permissions: vec!["all".to_string()],
            created_ms: ACCOUNTS_CREATED_MS + user as i64 * 1000 + 300,
            revoked: false,
        });
    }

    let people_per_user = FIXED_PEOPLE.len() + state.users.len();
    for user in 0..state.users.len() {
        let ids: Vec<u128> = (0..people_per_user).map(|_| rng.uuid()).collect();
        for (i, id) in ids.iter().enumerate() {
            state.person_index.insert(*id, (user, i));
        }
        state.people.push(ids);
    }

    let n_users = state.users.len();
    for owner in 0..n_users {
        let mut r = Rng::stream(config.seed, owner as u64);
        let start = state.assets.len();
        let first_account = state.owner_ranges.first().cloned().unwrap_or(0..0);
        for _ in 0..config.assets_per_account {
            let mut rec = if owner > 0 && !first_account.is_empty() && r.chance(0.10) {
                let src = first_account.start + r.below(first_account.len() as u64) as usize;
                let mut copy = state.assets[src].clone();
                copy.flags &= FLAG_VIDEO | FLAG_SCREENSHOT;
                copy
            } else {
                fresh_asset(&mut r, owner, n_users)
            };
            rec.id = r.uuid();
            rec.owner = owner as u16;
            if r.chance(0.05) {
                rec.flags |= FLAG_FAVORITE;
            }
            let v = r.unit();
            rec.visibility = if v < 0.01 {
                Visibility::Locked
            } else if v < 0.06 {
                Visibility::Archive
            } else {
                Visibility::Timeline
            };
            state.asset_index.insert(rec.id, state.assets.len() as u32);
            state.assets.push(rec);
        }
        state.owner_ranges.push(start..state.assets.len());
    }
    state
}

/// Photos are taken from 2018-01-01 (seconds since the epoch)…
const TAKEN_FROM: i64 = 1_514_764_800;
/// … to 2026-01-01.
const TAKEN_UNTIL: i64 = 1_767_225_600;

/// A new, original asset (not a copy of another account's).
fn fresh_asset(r: &mut Rng, owner: usize, n_users: usize) -> AssetRec {
    let (start, end) = (TAKEN_FROM, TAKEN_UNTIL);
    let checksum = r.bytes20();
    let taken = start + r.below((end - start) as u64) as i64;
    let file_no = 1000 + r.below(9000) as u16;
    let screenshot = r.chance(0.03);
    let mut rec = AssetRec {
        id: 0,
        checksum,
        taken,
        words: 0,
        people: 0,
        file_no,
        owner: owner as u16,
        camera: NO_CAMERA,
        place: NO_PLACE,
        flags: 0,
        visibility: Visibility::Timeline,
    };
    if screenshot {
        rec.flags |= FLAG_SCREENSHOT;
        rec.words = word_bit("screenshot");
        if r.chance(0.4) {
            rec.words |= word_bit("document");
        }
        return rec;
    }
    if r.chance(0.05) {
        rec.flags |= FLAG_VIDEO;
    }
    rec.camera = r.below(CAMERAS.len() as u64) as u8;
    if !r.chance(0.15) {
        rec.place = r.below(PLACES.len() as u64) as u8;
    }
    rec.words = content_words(r);
    rec.people = people_mask(r, owner, n_users);
    rec
}

/// 1–4 content words; about 2% carry "nsfw" (often with "swimsuit").
fn content_words(r: &mut Rng) -> u32 {
    const SPECIAL: [&str; 4] = ["screenshot", "document", "nsfw", "swimsuit"];
    let mut mask = 0;
    if r.chance(0.02) {
        mask |= word_bit("nsfw");
        if r.chance(0.5) {
            mask |= word_bit("swimsuit");
        }
    }
    let wanted = 1 + r.below(4) as u32;
    while mask.count_ones() < wanted {
        let word = WORDS[r.below(WORDS.len() as u64) as usize];
        if !SPECIAL.contains(&word) {
            mask |= word_bit(word);
        }
    }
    mask
}

/// 0–3 people: Mia and Leo together in ~15%, Mia alone ~15%, Leo alone ~10%, plus sometimes Anna,
/// the owner themself, or another account's user.
fn people_mask(r: &mut Rng, owner: usize, n_users: usize) -> u32 {
    const MIA: u32 = 1;
    const LEO: u32 = 2;
    const ANNA: u32 = 4;
    let roll = r.unit();
    let mut mask = if roll < 0.15 {
        MIA | LEO
    } else if roll < 0.30 {
        MIA
    } else if roll < 0.40 {
        LEO
    } else {
        0
    };
    if r.chance(0.15) {
        mask |= ANNA;
    }
    let user_bit = |u: usize| 1u32 << (FIXED_PEOPLE.len() + u);
    if r.chance(0.20) {
        mask |= user_bit(owner);
    }
    if n_users > 1 && r.chance(0.05) {
        let other = (owner + 1 + r.below(n_users as u64 - 1) as usize) % n_users;
        mask |= user_bit(other);
    }
    while mask.count_ones() > 3 {
        mask &= !(1 << (31 - mask.leading_zeros()));
    }
    mask
}

fn capitalise(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn photos_are_taken_from_2018_to_2026() {
        assert_eq!(
            Some(TAKEN_FROM * 1000),
            crate::sim::time::date_ms(2018, 1, 1)
        );
        assert_eq!(
            Some(TAKEN_UNTIL * 1000),
            crate::sim::time::date_ms(2026, 1, 1)
        );
    }

    fn config(seed: u64, n: usize) -> SimConfig {
        SimConfig {
            seed,
            accounts: vec!["alice".into(), "bob".into(), "carol".into()],
            assets_per_account: n,
            ..SimConfig::default()
        }
    }

    #[test]
    fn same_seed_same_data() {
        let a = generate(&config(7, 300));
        let b = generate(&config(7, 300));
        let c = generate(&config(8, 300));
        let view = |s: &State| {
            (0..s.assets.len())
                .map(|i| s.sim_asset(i))
                .collect::<Vec<_>>()
        };
        assert_eq!(view(&a), view(&b));
        assert_ne!(view(&a), view(&c));
        let keys = |s: &State| s.keys.iter().map(|k| k.secret.clone()).collect::<Vec<_>>();
        assert_eq!(keys(&a), keys(&b));
        assert_ne!(keys(&a), keys(&c));
        assert!(
            a.keys.iter().all(
                |k| k.secret.len() == 40 && k.secret.chars().all(|c| c.is_ascii_alphanumeric())
            )
        );
        assert_eq!(a.people[0], b.people[0]);
        assert_ne!(a.people[0], a.people[1], "person ids differ per account");
    }

    #[test]
    fn about_ten_percent_of_later_accounts_copy_the_first() {
        let s = generate(&config(42, 3000));
        let alice: HashSet<[u8; 20]> = s.assets_of(0).map(|i| s.assets[i].checksum).collect();
        for user in 1..3 {
            let copies: Vec<usize> = s
                .assets_of(user)
                .filter(|&i| alice.contains(&s.assets[i].checksum))
                .collect();
            let share = copies.len() as f64 / 3000.0;
            assert!((0.07..0.13).contains(&share), "share {share}");
            for &i in &copies {
                let copy = s.sim_asset(i);
                let orig_idx = s
                    .assets_of(0)
                    .find(|&j| s.assets[j].checksum == s.assets[i].checksum)
                    .unwrap();
                let orig = s.sim_asset(orig_idx);
                assert_ne!(copy.id, orig.id);
                assert_eq!(
                    (
                        &copy.taken,
                        &copy.make,
                        &copy.city,
                        &copy.words,
                        &copy.people
                    ),
                    (
                        &orig.taken,
                        &orig.make,
                        &orig.city,
                        &orig.words,
                        &orig.people
                    )
                );
            }
        }
    }

    #[test]
    fn distributions_are_plausible() {
        let s = generate(&config(1, 5000));
        let all: Vec<_> = s.assets_of(0).map(|i| s.sim_asset(i)).collect();
        let share = |f: &dyn Fn(&SimAsset) -> bool| {
            all.iter().filter(|a| f(a)).count() as f64 / all.len() as f64
        };
        use super::super::SimAsset;
        let has = |a: &SimAsset, w: &str| a.words.iter().any(|x| x == w);
        let nsfw = share(&|a| has(a, "nsfw"));
        let shots = share(&|a| has(a, "screenshot"));
        let both = share(&|a| a.people.contains(&"Mia".into()) && a.people.contains(&"Leo".into()));
        assert!((0.01..0.035).contains(&nsfw), "nsfw {nsfw}");
        assert!((0.02..0.045).contains(&shots), "screenshots {shots}");
        assert!((0.10..0.20).contains(&both), "mia+leo {both}");
        assert!(
            all.iter()
                .all(|a| a.people.len() <= 3 && !a.words.is_empty())
        );
        assert!(
            all.iter()
                .filter(|a| has(a, "screenshot"))
                .all(|a| a.make.is_empty() && a.people.is_empty())
        );
        assert!(
            all.iter()
                .all(|a| a.taken.as_str() >= "2018-01-01" && a.taken.as_str() < "2026")
        );
    }
}
