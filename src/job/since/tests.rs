use super::*;

fn mark(since_ms: i64, full_at: i64) -> Option<SearchMark> {
    Some(SearchMark { since_ms, full_at })
}

#[test]
fn a_run_reads_what_changed_only_when_every_account_has_a_recent_full_run() {
    let day = 24 * 3600;
    let hour_ms = 3_600_000;
    let reading = Reading::default();
    let now = 10 * day;
    // (preview, --full, marks, what the run is)
    let table: Vec<(bool, bool, Vec<Option<SearchMark>>, RunKind)> = vec![
        (
            true,
            false,
            vec![mark(5_000_000, now - 60)],
            RunKind::Full {
                why: FullWhy::Preview,
            },
        ),
        (
            false,
            true,
            vec![mark(5_000_000, now - 60)],
            RunKind::Full {
                why: FullWhy::Asked,
            },
        ),
        (
            false,
            false,
            vec![mark(5_000_000, now - 60), None],
            RunKind::Full {
                why: FullWhy::First,
            },
        ),
        (
            false,
            false,
            Vec::new(),
            RunKind::Full {
                why: FullWhy::First,
            },
        ),
        (
            false,
            false,
            vec![mark(5_000_000, now - day)],
            RunKind::Full { why: FullWhy::Due },
        ),
        (
            false,
            false,
            vec![
                mark(9 * hour_ms, now - day + 1),
                mark(7 * hour_ms, now - 60),
            ],
            RunKind::Incremental {
                since: 6 * hour_ms,
                full_due: now + 1,
            },
        ),
    ];
    for (preview, full, marks, expected) in table {
        let reading = Reading { full, ..reading };
        assert_eq!(
            kind(preview, false, reading, &marks, now),
            expected,
            "preview {preview}, full {full}, marks {marks:?}"
        );
    }
    // `--adopt` takes over what the job selects now: it reads everything, even when a run could
    // read what changed.
    assert_eq!(
        kind(false, true, reading, &[mark(1, now)], now),
        RunKind::Full {
            why: FullWhy::Adopt
        }
    );
    let every_run = Reading {
        full_every: Duration::ZERO,
        ..reading
    };
    assert_eq!(
        kind(false, false, every_run, &[mark(1, now)], now),
        RunKind::Full { why: FullWhy::Due }
    );
    let no_margin = Reading {
        margin: Duration::ZERO,
        ..reading
    };
    assert!(matches!(
        kind(false, false, no_margin, &[mark(1234, now)], now),
        RunKind::Incremental { since: 1234, .. }
    ));
}

fn hit(n: u128, checksum: &str, rank: u32) -> Hit {
    Hit {
        id: Uuid::from_u128(n),
        owner: Uuid::from_u128(1000 + n),
        checksum: checksum.into(),
        rank,
        local_ok: n.is_multiple_of(2),
        from_metadata: n.is_multiple_of(3),
        visibility: [
            Visibility::Timeline,
            Visibility::Archive,
            Visibility::Hidden,
            Visibility::Locked,
        ][(n % 4) as usize],
    }
}

#[test]
fn hits_and_holdings_come_back_from_the_record_as_they_went_in() {
    let hits: Hits = (0..9)
        .map(|n| {
            let h = hit(n, &format!("sum{n}=="), (9 - n) as u32);
            (h.id, h)
        })
        .collect();
    assert_eq!(decode_hits(&encode_hits(&hits)), Some(hits));
    assert_eq!(decode_hits(&encode_hits(&Hits::new())), Some(Hits::new()));
    let held: HashMap<Uuid, HeldAsset> = (0..5)
        .map(|n| {
            (
                Uuid::from_u128(n),
                HeldAsset {
                    checksum: format!("c{n}").into(),
                    owner: Uuid::from_u128(500 + n),
                    visibility: hit(n, "", 0).visibility,
                    trashed: n == 3,
                },
            )
        })
        .collect();
    assert_eq!(decode_held(&encode_held(&held)), Some(held));
}

#[test]
fn a_damaged_or_foreign_blob_is_not_taken_for_a_result() {
    let hits: Hits = [hit(1, "abc", 0)].into_iter().map(|h| (h.id, h)).collect();
    let good = encode_hits(&hits);
    assert_eq!(decode_hits(&[]), None);
    assert_eq!(decode_hits(&[9]), None, "another version");
    assert_eq!(decode_hits(&good[..good.len() - 1]), None, "cut short");
    let mut bad_visibility = good.clone();
    bad_visibility[1 + 37] = 7;
    assert_eq!(decode_hits(&bad_visibility), None);
    assert_eq!(
        decode_held(&good),
        None,
        "a search's blob is not an album's"
    );
}

#[test]
fn searches_by_album_or_by_update_time_are_always_asked_whole() {
    let body = |key: &str| {
        let mut body = Map::new();
        body.insert(key.into(), json!("x"));
        body
    };
    for key in [
        "albumIds",
        "updatedAfter",
        "updatedBefore",
        "trashedAfter",
        "trashedBefore",
    ] {
        assert!(always_whole(&body(key)), "{key}");
    }
    for key in ["personIds", "tagIds", "isFavorite", "takenAfter", "city"] {
        assert!(!always_whole(&body(key)), "{key}");
    }
}

#[test]
fn a_search_time_is_in_the_form_immich_3_takes() {
    assert_eq!(iso_ms(0), "1970-01-01T00:00:00.000Z");
    assert_eq!(iso_ms(1_765_011_086_123), "2025-12-06T08:51:26.123Z");
}
