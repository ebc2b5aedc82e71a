//! Merging the accounts of a job into one album's worth of photos. Pure functions, no I/O:
//! - exclusions remove a photo, not one copy of it: an asset is dropped when any account's exclusion
//!   found an asset with its checksum;
//! - an asset id seen by two accounts (partner sharing) counts once, for its owner;
//! - assets with the same checksum are one photo: the first account in job order that has it adds it;
//! - hidden and locked assets never go into an album (whatever a filter asked for).
//!
//! Besides the counts, the merge keeps which copy each dropped duplicate gave way to, for the HTML
//! preview. What happens in each album is decided afterwards, in [`super::decide`].

use std::collections::{HashMap, HashSet};

use uuid::Uuid;

use crate::filter::Hit;

/// One account's input to the merge.
pub struct MergeInput<'a> {
    /// The account's user id, to give an asset seen by several accounts to its owner.
    pub user: Uuid,
    /// Found by every include condition.
    pub matched: Vec<&'a Hit>,
}

/// One account's share of the merged result.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Merged {
    /// Left after every account's exclusions.
    pub after_excludes: usize,
    /// Left after the local rules.
    pub after_local: usize,
    /// Dropped because the same asset or file is kept from another account (or another copy).
    pub duplicates: usize,
    /// The copies this account contributes, one per file, in rank order.
    pub chosen: Vec<Hit>,
    /// The duplicates dropped from this account, each with the copy kept instead.
    pub dropped: Vec<Dropped>,
}

/// A copy dropped as a duplicate, and the copy kept in its place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dropped {
    /// The dropped asset, as this account sees it.
    pub id: Uuid,
    /// The index (in job order) of the account that adds the kept copy.
    pub kept_account: usize,
    pub kept_id: Uuid,
}

/// Merges accounts in job order. `None` stands for an account that failed: it contributes nothing.
pub fn merge(
    inputs: &[Option<MergeInput<'_>>],
    excluded: &HashSet<Box<str>>,
) -> Vec<Option<Merged>> {
    let mut merged: Vec<Option<Merged>> = Vec::with_capacity(inputs.len());
    let mut kept: Vec<Vec<&Hit>> = Vec::with_capacity(inputs.len());
    for input in inputs {
        let Some(input) = input else {
            merged.push(None);
            kept.push(Vec::new());
            continue;
        };
        let mut hits: Vec<&Hit> = input
            .matched
            .iter()
            .copied()
            .filter(|hit| hit.visibility.may_enter_album() && !excluded.contains(&hit.checksum))
            .collect();
        let after_excludes = hits.len();
        hits.retain(|hit| hit.local_ok);
        hits.sort_by_key(|hit| (hit.rank, hit.id));
        merged.push(Some(Merged {
            after_excludes,
            after_local: hits.len(),
            ..Merged::default()
        }));
        kept.push(hits);
    }

    // Who gets an id that several accounts see: its owner if the owner is in the job and kept it,
    // else the first account in job order.
    let owners: HashMap<Uuid, usize> = inputs
        .iter()
        .enumerate()
        .filter_map(|(i, input)| input.as_ref().map(|input| (input.user, i)))
        .collect();
    let mut holder: HashMap<Uuid, usize> = HashMap::new();
    for (i, hits) in kept.iter().enumerate() {
        for hit in hits {
            holder.entry(hit.id).or_insert(i);
        }
    }
    for (i, hits) in kept.iter().enumerate() {
        for hit in hits {
            if owners.get(&hit.owner) == Some(&i) {
                holder.insert(hit.id, i);
            }
        }
    }

    // Who adds each file: checksum -> (account, id of the copy it adds).
    let mut claimed: HashMap<&str, (usize, Uuid)> = HashMap::new();
    let mut dropped: Vec<(usize, &Hit)> = Vec::new();
    for (i, hits) in kept.iter().enumerate() {
        let Some(share) = merged[i].as_mut() else {
            continue;
        };
        for hit in hits {
            if holder[&hit.id] == i && !claimed.contains_key(&*hit.checksum) {
                claimed.insert(&hit.checksum, (i, hit.id));
                share.chosen.push((*hit).clone());
            } else {
                share.duplicates += 1;
                dropped.push((i, hit));
            }
        }
    }
    // Every dropped copy's file is claimed by now: its id's holder kept it, and either claimed its
    // checksum or found it claimed.
    for (i, hit) in dropped {
        if let (Some(share), Some(&(kept_account, kept_id))) =
            (merged[i].as_mut(), claimed.get(&*hit.checksum))
        {
            share.dropped.push(Dropped {
                id: hit.id,
                kept_account,
                kept_id,
            });
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::immich::Visibility;

    const ALICE: u128 = 0xa;
    const BOB: u128 = 0xb;

    fn hit(id: u128, owner: u128, checksum: &str, rank: u32) -> Hit {
        Hit {
            id: Uuid::from_u128(id),
            owner: Uuid::from_u128(owner),
            checksum: checksum.into(),
            rank,
            local_ok: true,
            from_metadata: true,
            visibility: Visibility::Timeline,
        }
    }

    fn ids(hits: &[Hit]) -> Vec<u128> {
        hits.iter().map(|h| h.id.as_u128()).collect()
    }

    #[test]
    fn the_first_account_in_job_order_adds_a_shared_file() {
        let a = [hit(1, ALICE, "x", 0), hit(2, ALICE, "y", 1)];
        let b = [hit(11, BOB, "x", 0), hit(12, BOB, "z", 1)];
        let inputs = [
            Some(MergeInput {
                user: Uuid::from_u128(ALICE),
                matched: a.iter().collect(),
            }),
            Some(MergeInput {
                user: Uuid::from_u128(BOB),
                matched: b.iter().collect(),
            }),
        ];
        let merged = merge(&inputs, &HashSet::new());
        let (alice, bob) = (merged[0].as_ref().unwrap(), merged[1].as_ref().unwrap());
        assert_eq!(ids(&alice.chosen), [1, 2]);
        assert_eq!(ids(&bob.chosen), [12]);
        assert_eq!(bob.duplicates, 1);
    }

    #[test]
    fn each_dropped_duplicate_names_the_copy_kept_instead() {
        // Bob has "x" twice and Alice has it too; Alice sees Bob's "z" (id 12) through partner
        // sharing, and Bob, its owner, adds it.
        let a = [hit(1, ALICE, "x", 0), hit(12, BOB, "z", 1)];
        let b = [
            hit(11, BOB, "x", 0),
            hit(12, BOB, "z", 1),
            hit(13, BOB, "x", 2),
        ];
        let inputs = [
            Some(MergeInput {
                user: Uuid::from_u128(ALICE),
                matched: a.iter().collect(),
            }),
            Some(MergeInput {
                user: Uuid::from_u128(BOB),
                matched: b.iter().collect(),
            }),
        ];
        let merged = merge(&inputs, &HashSet::new());
        let dropped = |i: usize| -> Vec<(u128, usize, u128)> {
            merged[i]
                .as_ref()
                .unwrap()
                .dropped
                .iter()
                .map(|d| (d.id.as_u128(), d.kept_account, d.kept_id.as_u128()))
                .collect()
        };
        assert_eq!(dropped(0), [(12, 1, 12)]);
        assert_eq!(dropped(1), [(11, 0, 1), (13, 0, 1)]);
        assert_eq!(merged[1].as_ref().unwrap().duplicates, 2);
    }

    #[test]
    fn an_exclusion_in_any_account_removes_every_copy() {
        let a = [hit(1, ALICE, "x", 0), hit(2, ALICE, "y", 1)];
        let b = [hit(11, BOB, "x", 0)];
        let inputs = [
            Some(MergeInput {
                user: Uuid::from_u128(ALICE),
                matched: a.iter().collect(),
            }),
            Some(MergeInput {
                user: Uuid::from_u128(BOB),
                matched: b.iter().collect(),
            }),
        ];
        // Bob's exclusion found his copy of "x".
        let excluded: HashSet<Box<str>> = ["x".into()].into();
        let merged = merge(&inputs, &excluded);
        assert_eq!(ids(&merged[0].as_ref().unwrap().chosen), [2]);
        assert_eq!(merged[0].as_ref().unwrap().after_excludes, 1);
        assert!(merged[1].as_ref().unwrap().chosen.is_empty());
    }

    #[test]
    fn an_asset_seen_through_partner_sharing_counts_once_for_its_owner() {
        // Alice sees Bob's asset 11 through partner sharing; Bob owns it.
        let a = [hit(1, ALICE, "x", 0), hit(11, BOB, "z", 1)];
        let b = [hit(11, BOB, "z", 0)];
        let inputs = [
            Some(MergeInput {
                user: Uuid::from_u128(ALICE),
                matched: a.iter().collect(),
            }),
            Some(MergeInput {
                user: Uuid::from_u128(BOB),
                matched: b.iter().collect(),
            }),
        ];
        let merged = merge(&inputs, &HashSet::new());
        assert_eq!(ids(&merged[0].as_ref().unwrap().chosen), [1]);
        assert_eq!(merged[0].as_ref().unwrap().duplicates, 1);
        assert_eq!(ids(&merged[1].as_ref().unwrap().chosen), [11]);
    }

    #[test]
    fn a_failed_account_contributes_nothing_and_local_rules_apply() {
        let mut a = [hit(1, ALICE, "x", 0), hit(2, ALICE, "y", 1)];
        a[1].local_ok = false;
        let inputs = [
            None,
            Some(MergeInput {
                user: Uuid::from_u128(ALICE),
                matched: a.iter().collect(),
            }),
        ];
        let merged = merge(&inputs, &HashSet::new());
        assert!(merged[0].is_none());
        let alice = merged[1].as_ref().unwrap();
        assert_eq!((alice.after_excludes, alice.after_local), (2, 1));
        assert_eq!(ids(&alice.chosen), [1]);
    }

    #[test]
    fn hidden_and_locked_assets_never_enter_an_album() {
        let mut a = [
            hit(1, ALICE, "x", 0),
            hit(2, ALICE, "y", 1),
            hit(3, ALICE, "z", 2),
            hit(4, ALICE, "w", 3),
        ];
        a[1].visibility = Visibility::Hidden;
        a[2].visibility = Visibility::Locked;
        a[3].visibility = Visibility::Archive;
        let inputs = [Some(MergeInput {
            user: Uuid::from_u128(ALICE),
            matched: a.iter().collect(),
        })];
        let merged = merge(&inputs, &HashSet::new());
        assert_eq!(ids(&merged[0].as_ref().unwrap().chosen), [1, 4]);
    }
}
