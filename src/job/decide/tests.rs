//! The decide phase, rule by rule: one table, each row an album as the record, the album and the
//! searches leave it, and what must happen to it.

use super::*;

const JOB: &str = "kids";

/// An asset id; its file's checksum is `c<id>` unless a case says otherwise.
fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

fn hit(n: u128) -> Hit {
    hit_with(n, &format!("c{n}"))
}

fn hit_with(n: u128, checksum: &str) -> Hit {
    Hit {
        id: id(n),
        owner: Uuid::nil(),
        checksum: checksum.into(),
        rank: n as u32,
        local_ok: true,
        from_metadata: true,
        visibility: Visibility::Timeline,
    }
}

fn entry(n: u128, state: EntryState) -> Entry {
    entry_of(n, state, JOB, "alice")
}

fn entry_of(n: u128, state: EntryState, job: &str, account: &str) -> Entry {
    Entry {
        asset: id(n),
        checksum: format!("c{n}").into(),
        job: job.into(),
        account: account.into(),
        state,
        at: 1,
    }
}

fn held(items: &[(u128, Visibility, bool)]) -> Held {
    Held::new(
        items
            .iter()
            .map(|&(n, visibility, trashed)| {
                (
                    id(n),
                    HeldAsset {
                        checksum: format!("c{n}").into(),
                        owner: Uuid::nil(),
                        visibility,
                        trashed,
                    },
                )
            })
            .collect(),
    )
}

fn timeline(ids: &[u128]) -> Vec<(u128, Visibility, bool)> {
    ids.iter()
        .map(|&n| (n, Visibility::Timeline, false))
        .collect()
}

/// One album, as a case sets it up.
struct Case {
    name: &'static str,
    record: Vec<Entry>,
    held: Held,
    /// Per account (alice, bob): what it contributes; `None` = failed.
    alice: Option<Vec<Hit>>,
    bob: Option<Vec<Hit>>,
    own_excluded: Option<HashSet<Box<str>>>,
    flagged: HashSet<Box<str>>,
    incomplete: Option<String>,
    policy: Policy,
    /// The accounts' user ids: alice is user 1001, bob 1002.
    owners: HashMap<Uuid, &'static str>,
}

impl Case {
    fn new(name: &'static str) -> Case {
        Case {
            name,
            record: Vec::new(),
            held: Held::default(),
            alice: Some(Vec::new()),
            bob: Some(Vec::new()),
            own_excluded: None,
            owners: HashMap::from([
                (Uuid::from_u128(1001), "alice"),
                (Uuid::from_u128(1002), "bob"),
            ]),
            flagged: HashSet::new(),
            incomplete: None,
            policy: Policy::default(),
        }
    }

    fn decide(&self) -> AlbumDecision {
        let input = AlbumInput {
            job: JOB,
            accounts: vec![
                ("alice", self.alice.as_deref()),
                ("bob", self.bob.as_deref()),
            ],
            own_excluded: self.own_excluded.as_ref(),
            flagged: &self.flagged,
            held: &self.held,
            record: &self.record,
            owners: &self.owners,
            incomplete: self.incomplete.clone(),
            policy: self.policy,
            now: 100,
        };
        decide(&input)
    }
}

fn prune() -> Policy {
    Policy {
        prune: true,
        max_removal_fraction: 1.0,
        ..Policy::default()
    }
}

fn ids(list: &[Uuid]) -> Vec<u128> {
    let mut out: Vec<u128> = list.iter().map(|u| u.as_u128()).collect();
    out.sort();
    out
}

fn to_add(decision: &AlbumDecision, account: usize) -> Vec<u128> {
    let part = decision.accounts[account].as_ref().expect("a part");
    ids(&part.to_add.iter().map(|p| p.id).collect::<Vec<_>>())
}

fn stale(decision: &AlbumDecision) -> Vec<(u128, Reason)> {
    decision
        .stale
        .iter()
        .map(|s| (s.id.as_u128(), s.reason))
        .collect()
}

fn flagged(ids: &[u128]) -> HashSet<Box<str>> {
    ids.iter().map(|n| format!("c{n}").into()).collect()
}

#[test]
fn adds_what_is_selected_and_missing_by_id_and_by_checksum() {
    let mut case = Case::new("adds");
    case.held = held(&timeline(&[1, 50]));
    case.alice = Some(vec![hit(1), hit(2), hit_with(3, "c50")]);
    case.bob = Some(vec![hit(4)]);
    let d = case.decide();
    assert_eq!(to_add(&d, 0), [2], "{}", case.name);
    assert_eq!(d.accounts[0].as_ref().unwrap().already, 2);
    assert_eq!(to_add(&d, 1), [4]);
    assert!(d.stale.is_empty() && !d.remove && d.settle.is_empty());
}

#[test]
fn the_record_is_settled_against_the_album() {
    let mut case = Case::new("settle");
    case.record = vec![
        entry(1, EntryState::Adding),                           // landed
        entry(2, EntryState::Adding),                           // never landed
        entry(3, EntryState::Removing),                         // removal never landed
        entry(4, EntryState::Removing),                         // removal landed
        entry(5, EntryState::Added),                            // a person took it out
        entry(6, EntryState::Added),                            // still there
        entry(7, EntryState::Removed),                          // stays removed
        entry_of(8, EntryState::Added, "other-job", "bob"), // a person took it out: for every job
        entry_of(9, EntryState::Adding, "other-job", "bob"), // another job's intent: left to it
        entry_of(10, EntryState::Removing, "other-job", "bob"), // likewise
    ];
    case.held = held(&timeline(&[1, 3, 6]));
    case.alice = Some(vec![hit(1), hit(3), hit(6)]);
    let d = case.decide();
    let settle = |e: Entry, state: EntryState| Change::Settle {
        was: (e.state, e.at),
        entry: Entry {
            state,
            at: 100,
            ..e
        },
    };
    assert_eq!(
        d.settle,
        [
            settle(entry(1, EntryState::Adding), EntryState::Added),
            Change::Forget(entry(2, EntryState::Adding)),
            settle(entry(3, EntryState::Removing), EntryState::Added),
            settle(entry(4, EntryState::Removing), EntryState::Removed),
            settle(entry(5, EntryState::Added), EntryState::Tombstone),
            settle(
                entry_of(8, EntryState::Added, "other-job", "bob"),
                EntryState::Tombstone
            ),
        ]
    );
    assert_eq!(d.tool_held, 3);
}

#[test]
fn a_tombstone_is_not_added_again_by_id_or_by_checksum() {
    let mut case = Case::new("tombstone");
    case.record = vec![entry(5, EntryState::Added), entry(6, EntryState::Tombstone)];
    // 5 was taken out just now; 6 earlier; bob has the same file as 6 under another id.
    case.alice = Some(vec![hit(5), hit(6), hit(7)]);
    case.bob = Some(vec![hit_with(16, "c6")]);
    let d = case.decide();
    assert_eq!(to_add(&d, 0), [7]);
    assert_eq!(ids(&d.accounts[0].as_ref().unwrap().not_readded), [5, 6]);
    assert_eq!(ids(&d.accounts[1].as_ref().unwrap().not_readded), [16]);
    assert!(to_add(&d, 1).is_empty());
}

#[test]
fn a_removed_asset_that_matches_again_is_added_again() {
    let mut case = Case::new("removed then matching");
    case.record = vec![entry(1, EntryState::Removed)];
    case.alice = Some(vec![hit(1)]);
    assert_eq!(to_add(&case.decide(), 0), [1]);
}

#[test]
fn stale_assets_are_removed_only_with_prune_and_with_their_reason() {
    let mut case = Case::new("reasons");
    case.record = vec![
        entry(1, EntryState::Added),                  // still selected
        entry(2, EntryState::Added),                  // no longer found
        entry(3, EntryState::Added),                  // flagged by an exclusion
        entry(4, EntryState::Added),                  // archived
        entry(5, EntryState::Added),                  // hidden
        entry(6, EntryState::Added),                  // trashed
        entry_of(7, EntryState::Added, JOB, "carol"), // carol left the job
        entry(8, EntryState::Added),                  // bob selects the same file under another id
    ];
    case.held = held(&[
        (1, Visibility::Timeline, false),
        (2, Visibility::Timeline, false),
        (3, Visibility::Archive, false),
        (4, Visibility::Archive, false),
        (5, Visibility::Hidden, false),
        (6, Visibility::Timeline, true),
        (7, Visibility::Timeline, false),
        (8, Visibility::Timeline, false),
        (9, Visibility::Timeline, false), // a person's: never stale
    ]);
    case.alice = Some(vec![hit(1)]);
    case.bob = Some(vec![hit_with(18, "c8")]);
    case.flagged = flagged(&[3]);
    let expected = [
        (2, Reason::NoLongerFound),
        (3, Reason::Excluded),
        (4, Reason::Archived),
        (5, Reason::Hidden),
        (6, Reason::Trashed),
        (7, Reason::AccountLeft),
    ];
    let d = case.decide();
    assert_eq!(stale(&d), expected);
    assert!(!d.remove && d.removals().is_empty() && d.blocked.is_none());

    case.policy = prune();
    let d = case.decide();
    assert_eq!(stale(&d), expected);
    assert!(d.remove);
    assert_eq!(d.removals().len(), 6);
    assert_eq!(d.tool_held, 8);

    // With archived assets included, an archived asset the job still finds stays.
    case.policy.include_archived = true;
    case.alice = Some(vec![hit(1), hit(4)]);
    let d = case.decide();
    assert!(!stale(&d).contains(&(4, Reason::Archived)));
}

#[test]
fn another_jobs_or_a_persons_assets_are_never_stale() {
    let mut case = Case::new("not ours");
    case.record = vec![
        entry_of(1, EntryState::Added, "other-job", "alice"),
        entry(2, EntryState::Tombstone), // a person put it back
        entry(3, EntryState::Removed),   // a person put it back
    ];
    case.held = held(&timeline(&[1, 2, 3, 4]));
    case.policy = prune();
    let d = case.decide();
    assert!(d.stale.is_empty(), "{:?}", d.stale);
    assert_eq!(d.tool_held, 0);
    assert!(d.adoptable.is_empty(), "nothing is selected");
}

#[test]
fn an_incomplete_selection_removes_nothing() {
    let mut case = Case::new("incomplete");
    case.record = vec![entry(1, EntryState::Added)];
    case.held = held(&timeline(&[1]));
    case.policy = prune();
    case.incomplete = Some("a search of bob failed".into());
    let d = case.decide();
    assert_eq!(stale(&d), [(1, Reason::NoLongerFound)]);
    assert!(!d.remove);
    assert!(matches!(&d.blocked, Some(Blocked::Incomplete(why)) if why.contains("bob")));

    // A failed account is an incomplete selection too, and its part is unknown.
    case.incomplete = None;
    case.bob = None;
    let d = case.decide();
    assert!(d.accounts[1].is_none());
}

#[test]
fn the_circuit_breaker_stops_mass_removals_unless_confirmed() {
    let mut case = Case::new("breaker");
    case.record = (1..=10).map(|n| entry(n, EntryState::Added)).collect();
    case.held = held(&timeline(&(1..=10).collect::<Vec<_>>()));
    case.alice = Some((1..=7).map(hit).collect());
    case.policy = Policy {
        prune: true,
        max_removals: 3,
        max_removal_fraction: 1.0,
        ..Policy::default()
    };
    // Three removals: at the limit, through.
    assert!(case.decide().remove);
    // Four: over it.
    case.alice = Some((1..=6).map(hit).collect());
    let d = case.decide();
    assert!(!d.remove);
    assert!(matches!(
        d.blocked,
        Some(Blocked::Breaker {
            removals: 4,
            held: 10,
            ..
        })
    ));
    assert!(
        d.blocked
            .unwrap()
            .to_string()
            .contains("--confirm-removals")
    );
    // The fraction: 4 of 10 is over 0.3, 3 of 10 is not.
    case.policy.max_removals = 100;
    case.policy.max_removal_fraction = 0.3;
    assert!(!case.decide().remove);
    case.alice = Some((1..=7).map(hit).collect());
    assert!(case.decide().remove);
    // Confirmed: through.
    case.alice = Some(vec![hit(1)]);
    case.policy.confirm_removals = true;
    let d = case.decide();
    assert!(d.remove && d.blocked.is_none());
    assert_eq!(d.removals().len(), 9);
}

#[test]
fn adoption_takes_over_what_the_job_selects_and_nobody_claims() {
    let mut case = Case::new("adopt");
    case.record = vec![entry_of(3, EntryState::Added, "other-job", "bob")];
    case.held = held(&timeline(&[1, 2, 3, 4]));
    // 1 selected by id, 2 selected by checksum (bob's copy), 3 another job's, 4 not selected.
    case.alice = Some(vec![hit(1), hit(3)]);
    case.bob = Some(vec![hit_with(12, "c2")]);
    let d = case.decide();
    let adopted: Vec<(u128, &str)> = d
        .adoptable
        .iter()
        .map(|e| (e.asset.as_u128(), e.account.as_str()))
        .collect();
    assert_eq!(adopted, [(1, "alice"), (2, "bob")]);
    assert_eq!(d.tool_held, 0, "nothing is adopted without --adopt");
    case.policy.adopt = true;
    assert_eq!(case.decide().tool_held, 2);
    // Bob's copy of a file only alice's search selects (a person put bob's copy in): recorded under
    // bob, its owner, who is the one to ask about it (2.x hides it from the album when hidden; soak
    // seed 9033 on 2.5 took it for a person's removal when alice was asked).
    let mut bobs = case.held.assets.clone();
    bobs.insert(
        id(5),
        HeldAsset {
            checksum: "c5".into(),
            owner: Uuid::from_u128(1002),
            visibility: Visibility::Timeline,
            trashed: false,
        },
    );
    case.held = Held::new(bobs);
    case.alice = Some(vec![hit(1), hit(3), hit_with(15, "c5")]);
    let owner_of_5 = case
        .decide()
        .adoptable
        .iter()
        .find(|e| e.asset == id(5))
        .map(|e| e.account.clone());
    assert_eq!(owner_of_5.as_deref(), Some("bob"));
    // An account or an exclusion that failed may flag what looks selected: nothing is adopted.
    case.incomplete = Some("account `carol` failed".into());
    let d = case.decide();
    assert!(d.adoptable.is_empty(), "{:?}", d.adoptable);
    assert_eq!(d.tool_held, 0);
}

#[test]
fn hand_added_assets_that_exclusions_flag_are_left_in_place_and_listed() {
    let mut case = Case::new("flagged by hand");
    case.record = vec![entry(1, EntryState::Added)];
    case.held = held(&timeline(&[1, 2, 3]));
    case.flagged = flagged(&[1, 2]);
    case.own_excluded = Some(flagged(&[1, 2]));
    case.policy = prune();
    let d = case.decide();
    assert_eq!(ids(&d.left_flagged), [2]);
    assert_eq!(stale(&d), [(1, Reason::Excluded)]);
}

#[test]
fn the_albums_own_exclusions_leave_assets_out_per_account() {
    let mut case = Case::new("own exclusions");
    case.alice = Some(vec![hit(1), hit(2)]);
    case.own_excluded = Some(flagged(&[2]));
    case.flagged = flagged(&[2]);
    let d = case.decide();
    assert_eq!(to_add(&d, 0), [1]);
    assert_eq!(ids(&d.accounts[0].as_ref().unwrap().excluded), [2]);
}

#[test]
fn a_listing_that_may_have_missed_assets_settles_claims_and_removes_nothing() {
    let mut case = Case::new("incomplete listing");
    case.record = vec![
        entry(1, EntryState::Adding), // in the album: would be claimed
        entry(2, EntryState::Added),  // missing: would become a tombstone
        entry(3, EntryState::Added),  // stale: would be removed
        entry(4, EntryState::Adding), // missing: would be forgotten
    ];
    case.held = held(&timeline(&[1, 3, 5]));
    case.held.incomplete = Some("the album changed while it was read".into());
    case.alice = Some(vec![hit(1), hit(2), hit(4), hit(5), hit(6)]);
    case.policy = prune();
    case.policy.adopt = true;
    let d = case.decide();
    assert!(d.settle.is_empty(), "{:?}", d.settle);
    assert!(
        d.adoptable.is_empty(),
        "5 is selected and unclaimed, but not adopted"
    );
    assert_eq!(stale(&d), [(3, Reason::NoLongerFound)]);
    assert!(d.removals().is_empty());
    assert!(matches!(&d.blocked, Some(Blocked::Listing(why)) if why.contains("changed")));
    assert_eq!(d.listing, d.blocked, "the report says why, stale or not");
    assert!(d.blocked.as_ref().unwrap().to_string().contains("next run"));
    // Neither the missing asset nor the unconfirmed add is sent again, nor taken for a person's
    // removal: they count as there (1 and 5 are; 2 and 4 may be); 6 is new and added.
    assert_eq!(to_add(&d, 0), [6]);
    let part = d.accounts[0].as_ref().unwrap();
    assert!(part.not_readded.is_empty());
    assert_eq!(part.already, 4);

    // Nothing stale: nothing blocked, but the listing is still said.
    case.alice = Some(vec![hit(1), hit(3)]);
    let d = case.decide();
    assert!(d.stale.is_empty() && d.blocked.is_none());
    assert!(matches!(&d.listing, Some(Blocked::Listing(_))));
    case.held.incomplete = None;
    assert_eq!(case.decide().listing, None);
}

#[test]
fn an_asset_the_listing_could_not_see_is_neither_settled_nor_added_again() {
    let mut case = Case::new("blind");
    case.record = vec![
        entry_of(1, EntryState::Added, JOB, "bob"), // bob's, trashed or hidden on 2.x: unseen
        entry_of(2, EntryState::Adding, JOB, "bob"), // likewise
        entry_of(3, EntryState::Added, JOB, "alice"), // alice was asked: a person took it out
        entry_of(4, EntryState::Adding, JOB, "bob"), // in the album: seen, claimed
    ];
    case.held = held(&timeline(&[4]));
    case.held.blind.insert("bob".into());
    case.bob = Some(vec![hit(1), hit(2), hit(4)]);
    case.alice = Some(vec![hit(3)]);
    let d = case.decide();
    let settled: Vec<u128> = d
        .settle
        .iter()
        .map(|c| match c {
            Change::Settle { entry, .. } => entry.asset.as_u128(),
            Change::Forget(entry) => entry.asset.as_u128(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(settled, [3, 4]);
    assert!(to_add(&d, 1).is_empty());
    let bob = d.accounts[1].as_ref().unwrap();
    assert!(bob.not_readded.is_empty(), "unseen, not taken out");
    assert_eq!(bob.already, 3);
    assert_eq!(ids(&d.accounts[0].as_ref().unwrap().not_readded), [3]);
}

#[test]
fn what_an_account_that_left_added_and_the_listing_could_not_see_is_removed_unseen() {
    let mut case = Case::new("left, unseen");
    case.record = vec![
        entry_of(1, EntryState::Added, JOB, "carol"), // carol left; trashed or hidden on 2.x
        entry_of(2, EntryState::Added, JOB, "carol"), // carol left; seen in the album
        entry_of(3, EntryState::Added, "other-job", "carol"), // another job's: not this one's to remove
        entry_of(4, EntryState::Tombstone, JOB, "carol"), // a person took it out: nothing to remove
        entry_of(6, EntryState::Adding, JOB, "carol"), // an add whose answer was lost: landed or not
    ];
    case.held = held(&timeline(&[2, 5, 7, 8]));
    case.held.blind.insert("carol".into());
    case.policy = prune();
    let d = case.decide();
    let unseen: Vec<(u128, Reason, Option<EntryState>)> = d
        .stale
        .iter()
        .map(|s| (s.id.as_u128(), s.reason, s.if_absent))
        .collect();
    assert_eq!(
        unseen,
        [
            (2, Reason::AccountLeft, Some(EntryState::Removed)),
            (1, Reason::AccountLeft, Some(EntryState::Tombstone)),
            (6, Reason::AccountLeft, None),
        ]
    );
    assert!(d.remove);
    assert!(
        d.settle.is_empty(),
        "nothing the listing could not see is settled"
    );
    // A file the job still selects through alice's copy stays, unseen as it is, as it would where
    // the listing shows it (soak seed 9079 on 2.5).
    let mut kept = Case::new("left, unseen, still selected");
    kept.record = vec![entry_of(1, EntryState::Added, JOB, "carol")];
    kept.held = held(&timeline(&[5]));
    kept.held.blind.insert("carol".into());
    kept.alice = Some(vec![hit_with(11, "c1")]);
    kept.policy = prune();
    let d = kept.decide();
    assert!(d.stale.is_empty(), "{:?}", d.stale);
    assert!(to_add(&d, 0).is_empty(), "the file counts as in the album");

    // The breaker counts what the album holds unseen: three removals of four assets (two shown,
    // two unseen) pass a fraction of 0.75, and not one of 0.7.
    case.held = held(&timeline(&[2, 5]));
    case.held.blind.insert("carol".into());
    case.policy.max_removal_fraction = 0.75;
    assert!(case.decide().remove);
    case.policy.max_removal_fraction = 0.7;
    assert!(matches!(
        case.decide().blocked,
        Some(Blocked::Breaker { held: 4, .. })
    ));
    case.policy = prune();

    // An account still in the job, whose assets the listing could not see: not removed unseen
    // (its searches say what it selects; its trashed ones are only hidden).
    case.record = vec![entry_of(1, EntryState::Added, JOB, "bob")];
    case.held.blind.insert("bob".into());
    case.bob = Some(Vec::new());
    assert!(case.decide().stale.is_empty());

    // A removal an earlier run began, of an asset the listing could not show: sent again, and an
    // answer that it is not there is the earlier run's removal, not a person's.
    case.record = vec![entry_of(1, EntryState::Removing, JOB, "bob")];
    let d = case.decide();
    let resumed: Vec<(u128, Reason, Option<EntryState>)> = d
        .stale
        .iter()
        .map(|s| (s.id.as_u128(), s.reason, s.if_absent))
        .collect();
    assert_eq!(
        resumed,
        [(1, Reason::Unfinished, Some(EntryState::Removed))]
    );
    assert!(d.settle.is_empty());

    // A listing that may have missed assets removes nothing unseen.
    case.record = vec![entry_of(1, EntryState::Added, JOB, "carol")];
    case.held.incomplete = Some("the count disagrees".into());
    assert!(case.decide().stale.is_empty());
}

#[test]
fn what_another_job_added_and_a_person_took_out_is_not_added_by_this_one() {
    let mut case = Case::new("two jobs");
    case.record = vec![
        entry_of(1, EntryState::Added, "other-job", "alice"),
        entry_of(2, EntryState::Adding, "other-job", "alice"), // that job may be adding it now
    ];
    // Bob selects the same file as 1 under another id.
    case.alice = Some(vec![hit(1), hit(2)]);
    case.bob = Some(vec![hit_with(11, "c1")]);
    let d = case.decide();
    assert_eq!(
        to_add(&d, 0),
        [2],
        "another job's intent is not a tombstone"
    );
    assert_eq!(ids(&d.accounts[0].as_ref().unwrap().not_readded), [1]);
    assert_eq!(ids(&d.accounts[1].as_ref().unwrap().not_readded), [11]);
}

#[test]
fn the_safe_albums_exclusions_go_past_the_breaker_failures_and_an_incomplete_listing() {
    let mut case = Case::new("safe album errs toward leaving out");
    case.record = (1..=6).map(|n| entry(n, EntryState::Added)).collect();
    case.held = held(&timeline(&(1..=6).collect::<Vec<_>>()));
    // 1..=3 flagged by an exclusion, 4 no longer found, 5 and 6 selected.
    case.alice = Some(vec![hit(5), hit(6)]);
    case.flagged = flagged(&[1, 2, 3]);
    case.policy = Policy {
        prune: true,
        max_removals: 1,
        max_removal_fraction: 1.0,
        exclusions_first: true,
        ..Policy::default()
    };
    let removed = |d: &AlbumDecision| -> Vec<u128> {
        let mut ids: Vec<u128> = d.removals().iter().map(|s| s.id.as_u128()).collect();
        ids.sort();
        ids
    };
    let d = case.decide();
    assert_eq!(
        removed(&d),
        [1, 2, 3, 4],
        "one non-excluded removal: within the breaker"
    );
    assert!(d.blocked.is_none());

    case.alice = Some(vec![hit(6)]); // 5 no longer found too: two, past max_removals 1
    let d = case.decide();
    assert_eq!(removed(&d), [1, 2, 3]);
    assert!(matches!(
        d.blocked,
        Some(Blocked::Breaker { removals: 2, .. })
    ));
    assert!(d.stale.iter().filter(|s| s.forced).count() == 3);
    let blocked = d.blocked.as_ref().unwrap();
    assert!(blocked.describe(true).contains("none of them was removed"));
    assert!(blocked.describe(false).contains("nothing was removed"));

    case.incomplete = Some("account `bob` failed".into());
    let d = case.decide();
    assert_eq!(removed(&d), [1, 2, 3]);
    let blocked = d.blocked.as_ref().unwrap();
    assert!(
        blocked
            .describe(true)
            .starts_with("nothing else is removed while")
    );
    assert!(blocked.to_string().starts_with("nothing is removed while"));
    case.incomplete = None;
    case.held.incomplete = Some("its listing shows 5 assets, but the album counts 6".into());
    assert_eq!(removed(&case.decide()), [1, 2, 3]);

    // Not for the main album, and not without prune.
    case.held.incomplete = None;
    case.policy.exclusions_first = false;
    assert!(case.decide().removals().is_empty());
    case.policy.exclusions_first = true;
    case.policy.prune = false;
    let d = case.decide();
    assert!(d.removals().is_empty() && d.stale.iter().all(|s| !s.forced));
}

#[test]
fn a_failed_accounts_photos_are_not_no_longer_found_but_what_is_known_of_them_still_counts() {
    let mut case = Case::new("failed account");
    case.record = vec![
        entry_of(1, EntryState::Added, JOB, "bob"), // bob's selection is unknown
        entry_of(2, EntryState::Added, JOB, "bob"), // archived: known from the album
        entry_of(3, EntryState::Added, JOB, "bob"), // flagged by alice's exclusion
        entry(4, EntryState::Added),                // alice's, no longer found
    ];
    case.held = held(&[
        (1, Visibility::Timeline, false),
        (2, Visibility::Archive, false),
        (3, Visibility::Timeline, false),
        (4, Visibility::Timeline, false),
    ]);
    case.bob = None;
    case.flagged = flagged(&[3]);
    case.policy = prune();
    let d = case.decide();
    assert_eq!(
        stale(&d),
        [
            (2, Reason::Archived),
            (3, Reason::Excluded),
            (4, Reason::NoLongerFound)
        ]
    );
    assert_eq!(d.tool_held, 4);
}
