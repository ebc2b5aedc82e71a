//! One account's part of a job: its searches, run with its own key, combined into sets. A job's
//! conditions become a small tree per account ([`AccountPlan`]): person names turn into that account's
//! person ids, identical searches are run once (the main and the safe album share them), and every
//! search of the account runs concurrently, bounded by the server's in-flight limit (per request, in
//! the client). Include conditions
//! are intersected, exclude conditions united; a failed search fails what depends on it and is never
//! taken as an empty result.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde_json::{Value, json};
use tokio::sync::Semaphore;

use super::file::Condition;
use crate::filter::{Hit, Hits, LocalFilters, SearchFilter, run_search};
use crate::immich::{ApiError, Client, Person, SearchKind};

/// Most person-id combinations one `people` condition may expand to (a name can belong to several
/// unmerged people of one account).
const MAX_PEOPLE_COMBINATIONS: usize = 64;

/// A condition with its searches resolved for one account.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// The search at this index of [`AccountPlan::leaves`].
    Leaf(usize),
    /// Matches nothing (a person this account does not know).
    Empty,
    Any(Vec<Node>),
    All(Vec<Node>),
}

impl Node {
    pub fn leaves(&self, out: &mut Vec<usize>) {
        match self {
            Node::Leaf(i) => out.push(*i),
            Node::Empty => {}
            Node::Any(items) | Node::All(items) => items.iter().for_each(|n| n.leaves(out)),
        }
    }
}

/// One account's searches and how they combine.
#[derive(Debug, Clone, Default)]
pub struct AccountPlan {
    /// Distinct searches; `reads_local[i]` says whether search i feeds an include condition.
    pub leaves: Vec<SearchFilter>,
    pub reads_local: Vec<bool>,
    /// Top-level include conditions (intersected).
    pub include: Vec<Node>,
    /// Top-level exclude conditions (united).
    pub exclude: Vec<Node>,
    /// The safe album's exclude conditions; `None` when the job has no safe album.
    pub safe_exclude: Option<Vec<Node>>,
    pub local: LocalFilters,
    /// Things the report should say, e.g. a person this account does not know.
    pub notes: Vec<String>,
}

/// Person name → this account's person ids with that name (lower-cased names).
pub type PeopleIndex = HashMap<String, Vec<String>>;

/// Tag value (`Holiday/2023`, lower-cased) → this account's tag id.
pub type TagIndex = HashMap<String, String>;

/// Builds an account's plan from a job's conditions.
pub struct PlanBuilder<'a> {
    plan: AccountPlan,
    index: HashMap<String, usize>,
    people: &'a PeopleIndex,
    tags: Option<&'a TagIndex>,
    timeline_only: bool,
    one_visibility: bool,
}

impl<'a> PlanBuilder<'a> {
    pub fn new(people: &'a PeopleIndex, local: LocalFilters) -> PlanBuilder<'a> {
        PlanBuilder {
            plan: AccountPlan {
                local,
                ..AccountPlan::default()
            },
            index: HashMap::new(),
            people,
            tags: None,
            timeline_only: false,
            one_visibility: false,
        }
    }

    /// This account's tags, for `tags` conditions.
    pub fn with_tags(mut self, tags: &'a TagIndex) -> PlanBuilder<'a> {
        self.tags = Some(tags);
        self
    }

    /// Include searches ask for timeline assets only (`"visibility": "timeline"`) unless a filter sets
    /// its own visibility; exclusions stay unrestricted, so an archived copy still excludes its file.
    pub fn timeline_only(mut self, yes: bool) -> PlanBuilder<'a> {
        self.timeline_only = yes;
        self
    }

    /// The server searches one visibility at a time, and the timeline only when none is given (2.x,
    /// measured on 2.5.6): a search that should see more is sent once per visibility.
    pub fn one_visibility_per_search(mut self, yes: bool) -> PlanBuilder<'a> {
        self.one_visibility = yes;
        self
    }

    /// A search, run once however often it appears. Without a visibility of its own, an include
    /// search sees the timeline (with `timeline_only`) or the timeline and the archive; an exclusion
    /// sees every visibility an API key may search (all but locked). Where the server searches one
    /// visibility at a time (2.x), that is one search per visibility, united.
    pub fn leaf(&mut self, filter: &SearchFilter, include: bool) -> Node {
        let visibilities: &[&str] = match (include, self.timeline_only) {
            _ if filter.body.contains_key("visibility") => &[],
            (true, true) => &["timeline"],
            (true, false) if self.one_visibility => &["timeline", "archive"],
            (false, _) if self.one_visibility => &["timeline", "archive", "hidden"],
            _ => &[],
        };
        if visibilities.is_empty() {
            return self.one_leaf(filter, include);
        }
        let mut leaves: Vec<Node> = visibilities
            .iter()
            .map(|visibility| {
                let mut restricted = filter.clone();
                restricted
                    .body
                    .insert("visibility".into(), Value::String(visibility.to_string()));
                self.one_leaf(&restricted, include)
            })
            .collect();
        if leaves.len() == 1 {
            leaves.pop().expect("one leaf")
        } else {
            Node::Any(leaves)
        }
    }

    fn one_leaf(&mut self, filter: &SearchFilter, include: bool) -> Node {
        let key = format!(
            "{:?} {:?} {}",
            filter.kind,
            filter.limit,
            Value::Object(filter.body.clone())
        );
        let i = *self.index.entry(key).or_insert_with(|| {
            self.plan.leaves.push(filter.clone());
            self.plan.reads_local.push(false);
            self.plan.leaves.len() - 1
        });
        self.plan.reads_local[i] |= include;
        Node::Leaf(i)
    }

    pub fn node(&mut self, condition: &Condition, include: bool) -> Node {
        match condition {
            Condition::Search(filter) => self.leaf(filter, include),
            Condition::Any(items) => {
                Node::Any(items.iter().map(|c| self.node(c, include)).collect())
            }
            Condition::All(items) => {
                Node::All(items.iter().map(|c| self.node(c, include)).collect())
            }
            Condition::People(names) => self.people_node(names, include),
            Condition::Tags(values) => self.tags_node(values, include),
        }
    }

    /// One search with every tag's id (`tagIds` is AND); nothing when this account lacks one.
    fn tags_node(&mut self, values: &[String], include: bool) -> Node {
        let mut ids = Vec::new();
        for value in values {
            let found = self.tags.and_then(|tags| tags.get(&value.to_lowercase()));
            match found {
                Some(id) => ids.push(id.clone()),
                None => {
                    self.plan.notes.push(format!(
                        "has no tag `{value}`: `tags {}` matches nothing here",
                        values.join("+")
                    ));
                    return Node::Empty;
                }
            }
        }
        let mut body = serde_json::Map::new();
        body.insert("tagIds".into(), json!(ids));
        let filter = SearchFilter {
            kind: SearchKind::Metadata,
            origin: format!("tags {}", values.join("+")),
            body,
            limit: None,
            warnings: Vec::new(),
        };
        self.leaf(&filter, include)
    }

    fn people_node(&mut self, names: &[String], include: bool) -> Node {
        let mut id_lists: Vec<&Vec<String>> = Vec::new();
        for name in names {
            // Jobs index names lower-cased (any case matches); the drop-in indexes exact names and ids.
            match self
                .people
                .get(name)
                .or_else(|| self.people.get(&name.to_lowercase()))
            {
                Some(ids) if !ids.is_empty() => id_lists.push(ids),
                _ => {
                    self.plan.notes.push(format!(
                        "knows no person named `{name}`: `people {}` matches nothing here",
                        names.join("+")
                    ));
                    return Node::Empty;
                }
            }
        }
        // personIds is AND; a name with several ids (unmerged faces) needs each combination. Only the
        // first MAX_PEOPLE_COMBINATIONS (in the order of the names, then of the ids) are built: the
        // first of the combinations of n names extend the first of n - 1, and all of them can be many
        // (six names with ten ids each are a million).
        let total = id_lists
            .iter()
            .fold(1usize, |n, ids| n.saturating_mul(ids.len()));
        let mut combinations: Vec<Vec<String>> = vec![Vec::new()];
        for ids in id_lists {
            combinations = combinations
                .iter()
                .flat_map(|combo| {
                    ids.iter().map(move |id| {
                        let mut next = combo.clone();
                        next.push(id.clone());
                        next
                    })
                })
                .take(MAX_PEOPLE_COMBINATIONS)
                .collect();
        }
        if total > MAX_PEOPLE_COMBINATIONS {
            self.plan.notes.push(format!(
                "`people {}` has too many same-named people; merge them in Immich (used the first \
                 {MAX_PEOPLE_COMBINATIONS} combinations)",
                names.join("+")
            ));
        }
        let mut leaves: Vec<Node> = combinations
            .into_iter()
            .map(|ids| {
                let mut body = serde_json::Map::new();
                body.insert("personIds".into(), json!(ids));
                let filter = SearchFilter {
                    kind: SearchKind::Metadata,
                    origin: names.join("+"),
                    body,
                    limit: None,
                    warnings: Vec::new(),
                };
                self.leaf(&filter, include)
            })
            .collect();
        if leaves.len() == 1 {
            leaves.pop().expect("one leaf")
        } else {
            Node::Any(leaves)
        }
    }

    pub fn include(&mut self, condition: &Condition) {
        let node = self.node(condition, true);
        self.plan.include.push(node);
    }

    pub fn exclude(&mut self, condition: &Condition) {
        let node = self.node(condition, false);
        self.plan.exclude.push(node);
    }

    pub fn safe_exclude(&mut self, condition: &Condition) {
        let node = self.node(condition, false);
        self.plan
            .safe_exclude
            .get_or_insert_with(Vec::new)
            .push(node);
    }

    pub fn build(self) -> AccountPlan {
        self.plan
    }
}

/// What an account's searches found.
#[derive(Debug, Default)]
pub struct Evaluated {
    /// How many assets each top-level include condition found.
    pub include_counts: Vec<usize>,
    /// How many assets each top-level exclude condition found.
    pub exclude_counts: Vec<usize>,
    /// Found by every include condition, each with its local-filter outcome.
    pub matched: Hits,
    /// Checksums of everything the exclude conditions found.
    pub excluded: HashSet<Box<str>>,
    /// Checksums the safe album's exclusions found, or the error that makes the safe album fail
    /// closed. `None` when the job has no safe album.
    pub safe_excluded: Option<Result<HashSet<Box<str>>, ApiError>>,
}

/// Runs every search of a plan, all at once, and combines them. Each request waits for the client's
/// in-flight limit (see [`Client::with_limiter`]), so the searches of every account of a server share
/// one bound. Fails when a search the include or exclude conditions need failed; a failed safe
/// exclusion is returned inside `safe_excluded` instead.
pub async fn evaluate_plan(client: &Client, plan: &AccountPlan) -> Result<Evaluated, ApiError> {
    let results = futures::future::join_all(
        (0..plan.leaves.len()).map(|i| async move { Some(run_leaf(client, plan, i, None).await) }),
    )
    .await;
    combine_plan(plan, results)
}

/// Runs search `i` of a plan, with the local rules where it feeds an include condition; with `body`,
/// that body in the place of the search's own (the same search, narrowed).
pub async fn run_leaf(
    client: &Client,
    plan: &AccountPlan,
    i: usize,
    body: Option<serde_json::Map<String, Value>>,
) -> Result<Hits, ApiError> {
    let local = &plan.local;
    let local = (plan.reads_local[i] && !local.is_empty()).then_some(local);
    match body {
        None => run_search(client, &plan.leaves[i], local).await,
        Some(body) => {
            let narrowed = SearchFilter {
                body,
                ..plan.leaves[i].clone()
            };
            run_search(client, &narrowed, local).await
        }
    }
}

/// The searches' results combined by the plan's conditions (`None` for a search not run). Fails
/// when a search the include or exclude conditions need failed; a failed safe exclusion is returned
/// inside `safe_excluded` instead.
pub fn combine_plan(
    plan: &AccountPlan,
    mut results: Vec<Option<Result<Hits, ApiError>>>,
) -> Result<Evaluated, ApiError> {
    // Main conditions first: any failure there fails the account.
    let mut needed = Vec::new();
    plan.include
        .iter()
        .chain(&plan.exclude)
        .for_each(|n| n.leaves(&mut needed));
    for &i in &needed {
        if matches!(results[i], Some(Err(_))) {
            let Some(Err(error)) = results[i].take() else {
                unreachable!()
            };
            return Err(error);
        }
    }
    let hits: Vec<Option<&Hits>> = results
        .iter()
        .map(|r| r.as_ref().and_then(|r| r.as_ref().ok()))
        .collect();
    let combine = |node: &Node| combine(node, &hits);

    let includes: Vec<Cow<'_, Hits>> = plan.include.iter().map(combine).collect();
    let excludes: Vec<Cow<'_, Hits>> = plan.exclude.iter().map(combine).collect();
    let mut evaluated = Evaluated {
        include_counts: includes.iter().map(|h| h.len()).collect(),
        exclude_counts: excludes.iter().map(|h| h.len()).collect(),
        matched: intersect(includes),
        excluded: excludes
            .iter()
            .flat_map(|h| h.values().map(|hit| hit.checksum.clone()))
            .collect(),
        safe_excluded: None,
    };

    if let Some(safe) = &plan.safe_exclude {
        let mut safe_leaves = Vec::new();
        safe.iter().for_each(|n| n.leaves(&mut safe_leaves));
        let failed = safe_leaves
            .iter()
            .find(|&&i| matches!(results[i], Some(Err(_))))
            .copied();
        evaluated.safe_excluded = Some(match failed {
            Some(i) => match results[i].take() {
                Some(Err(error)) => Err(error),
                _ => unreachable!(),
            },
            None => Ok(safe
                .iter()
                .flat_map(|n| {
                    combine(n)
                        .values()
                        .map(|hit| hit.checksum.clone())
                        .collect::<Vec<_>>()
                })
                .collect()),
        });
    }
    Ok(evaluated)
}

/// Combines the searches under a node. A single search is borrowed, not copied: only what an
/// intersection or union makes is new, so memory stays near the size of the searches themselves.
fn combine<'a>(node: &Node, hits: &[Option<&'a Hits>]) -> Cow<'a, Hits> {
    match node {
        Node::Leaf(i) => hits[*i].map_or_else(|| Cow::Owned(Hits::new()), Cow::Borrowed),
        Node::Empty => Cow::Owned(Hits::new()),
        Node::All(items) => Cow::Owned(intersect(items.iter().map(|n| combine(n, hits)).collect())),
        Node::Any(items) => {
            let mut union = Hits::new();
            for part in items.iter().map(|n| combine(n, hits)) {
                for (id, hit) in part.iter() {
                    match union.get_mut(id) {
                        None => {
                            union.insert(*id, hit.clone());
                        }
                        Some(existing) => prefer(existing, hit),
                    }
                }
            }
            Cow::Owned(union)
        }
    }
}

/// Keeps what every set holds; ranks come from the first set. Only the kept hits are copied.
fn intersect(sets: Vec<Cow<'_, Hits>>) -> Hits {
    let Some((first, rest)) = sets.split_first() else {
        return Hits::new();
    };
    first
        .values()
        .filter(|hit| rest.iter().all(|set| set.contains_key(&hit.id)))
        .map(|hit| {
            let mut kept = hit.clone();
            for other in rest.iter().filter_map(|set| set.get(&hit.id)) {
                prefer(&mut kept, other);
            }
            (kept.id, kept)
        })
        .collect()
}

/// Two sightings of one asset: the local-filter outcome of a metadata search wins (it carries exif
/// and people), and the better rank is kept.
fn prefer(existing: &mut Hit, other: &Hit) {
    if other.from_metadata && !existing.from_metadata {
        existing.local_ok = other.local_ok;
        existing.from_metadata = true;
    }
    existing.rank = existing.rank.min(other.rank);
}

/// What to select for the Python-compatible command: conditions that must all match, conditions any
/// of which removes, and local rules. Person names in it are looked up in the [`PeopleIndex`] given to
/// [`evaluate`].
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub include: Vec<Condition>,
    pub exclude: Vec<Condition>,
    pub local: LocalFilters,
}

impl Selection {
    /// Every warning of every filter, in order.
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        for condition in self.include.iter().chain(&self.exclude) {
            condition.warnings(&mut warnings);
        }
        warnings
    }

    /// Every person name or id the conditions name, each once, in order.
    pub fn people(&self) -> Vec<String> {
        let mut names = Vec::new();
        for condition in self.include.iter().chain(&self.exclude) {
            condition.people(&mut names);
        }
        let mut seen = HashSet::new();
        names.retain(|n| seen.insert(n.clone()));
        names
    }

    fn plan(&self, people: &PeopleIndex) -> AccountPlan {
        let mut builder = PlanBuilder::new(people, self.local.clone());
        self.include.iter().for_each(|c| builder.include(c));
        self.exclude.iter().for_each(|c| builder.exclude(c));
        builder.build()
    }
}

/// How many assets one search found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchCount {
    pub label: String,
    pub count: usize,
}

/// The outcome of a selection for one account, with the counts of each step.
#[derive(Debug, Clone, Default)]
pub struct AccountResult {
    pub includes: Vec<SearchCount>,
    pub excludes: Vec<SearchCount>,
    /// Found by every include search.
    pub matched: usize,
    /// Left after the exclude searches.
    pub after_excludes: usize,
    /// Left after the local rules: the length of `assets`.
    pub after_local: usize,
    /// The selected assets, in the order of the first include search.
    pub assets: Vec<Hit>,
}

/// Runs a selection for one account: include conditions intersected, exclude conditions subtracted (by
/// id and by checksum), local rules applied. The result is in the order of the first include search.
/// The client's own in-flight limit bounds the requests.
pub async fn evaluate(
    client: &Client,
    selection: &Selection,
    people: &PeopleIndex,
) -> Result<AccountResult, ApiError> {
    let plan = selection.plan(people);
    let evaluated = evaluate_plan(client, &plan).await?;
    let counts = |conditions: &[Condition], counts: &[usize]| -> Vec<SearchCount> {
        conditions
            .iter()
            .zip(counts)
            .map(|(c, &count)| SearchCount {
                label: c.label(),
                count,
            })
            .collect()
    };
    let mut assets: Vec<Hit> = evaluated.matched.into_values().collect();
    let matched = assets.len();
    assets.retain(|hit| !evaluated.excluded.contains(&hit.checksum));
    let after_excludes = assets.len();
    assets.retain(|hit| hit.local_ok);
    assets.sort_by_key(|hit| (hit.rank, hit.id));
    Ok(AccountResult {
        includes: counts(&selection.include, &evaluated.include_counts),
        excludes: counts(&selection.exclude, &evaluated.exclude_counts),
        matched,
        after_excludes,
        after_local: assets.len(),
        assets,
    })
}

/// Reads every person of an account (hidden ones too), page by page.
pub async fn people(client: &Client) -> Result<Vec<Person>, ApiError> {
    let mut people = Vec::new();
    let mut page = 1;
    loop {
        let batch = client.people_page(page, 1000).await?;
        people.extend(batch.people);
        if !batch.has_next_page {
            return Ok(people);
        }
        page += 1;
    }
}

/// Reads every person of an account into a name index (lower-cased names).
pub async fn people_index(client: &Client) -> Result<PeopleIndex, ApiError> {
    let mut index = PeopleIndex::new();
    for person in people(client).await? {
        let name = person.name.trim().to_lowercase();
        if !name.is_empty() {
            index.entry(name).or_default().push(person.id);
        }
    }
    Ok(index)
}

/// Reads every tag of an account into a value index (lower-cased values).
pub async fn tag_index(client: &Client) -> Result<TagIndex, ApiError> {
    Ok(client
        .tags()
        .await?
        .into_iter()
        .map(|tag| (tag.value.trim().to_lowercase(), tag.id))
        .collect())
}

/// Shares a limiter between the accounts of one server.
pub fn limiter(permits: usize) -> Arc<Semaphore> {
    Arc::new(Semaphore::new(permits.max(1)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::immich::Visibility;
    use uuid::Uuid;

    fn hit(id: u128, rank: u32, local_ok: bool, from_metadata: bool) -> Hit {
        Hit {
            id: Uuid::from_u128(id),
            owner: Uuid::nil(),
            checksum: format!("c{id}").into(),
            rank,
            local_ok,
            from_metadata,
            visibility: Visibility::Timeline,
        }
    }

    fn set(hits: Vec<Hit>) -> Hits {
        hits.into_iter().map(|h| (h.id, h)).collect()
    }

    #[test]
    fn trees_combine_as_intersections_and_unions() {
        let a = set(vec![
            hit(1, 0, true, true),
            hit(2, 1, true, true),
            hit(3, 2, true, true),
        ]);
        let b = set(vec![hit(2, 0, true, false), hit(3, 1, true, false)]);
        let c = set(vec![hit(4, 0, true, true)]);
        let hits = [Some(&a), Some(&b), Some(&c)];
        let all = combine(&Node::All(vec![Node::Leaf(0), Node::Leaf(1)]), &hits);
        let mut ids: Vec<u128> = all.keys().map(|u| u.as_u128()).collect();
        ids.sort();
        assert_eq!(ids, [2, 3]);
        let any = combine(
            &Node::Any(vec![Node::Leaf(1), Node::Leaf(2), Node::Empty]),
            &hits,
        );
        assert_eq!(any.len(), 3);
        let nested = combine(
            &Node::All(vec![
                Node::Leaf(0),
                Node::Any(vec![Node::Leaf(1), Node::Leaf(2)]),
            ]),
            &hits,
        );
        assert_eq!(nested.len(), 2);
        assert!(combine(&Node::All(vec![Node::Leaf(0), Node::Empty]), &hits).is_empty());
    }

    #[test]
    fn the_metadata_sighting_decides_the_local_outcome() {
        let smart = set(vec![hit(1, 0, false, false)]);
        let metadata = set(vec![hit(1, 5, true, true)]);
        let hits = [Some(&smart), Some(&metadata)];
        let both = combine(&Node::All(vec![Node::Leaf(0), Node::Leaf(1)]), &hits);
        let only = &both[&Uuid::from_u128(1)];
        assert!(only.local_ok);
        assert_eq!(only.rank, 0);
    }

    #[test]
    fn people_resolve_per_account_and_identical_searches_run_once() {
        let mut people = PeopleIndex::new();
        people.insert("mia".into(), vec!["m1".into(), "m2".into()]);
        people.insert("leo".into(), vec!["l1".into()]);
        let mut builder = PlanBuilder::new(&people, LocalFilters::default());
        builder.include(&Condition::People(vec!["Mia".into(), "Leo".into()]));
        builder.exclude(&Condition::People(vec!["Leo".into(), "Anna".into()]));
        builder.safe_exclude(&Condition::People(vec!["Mia".into(), "Leo".into()]));
        let plan = builder.build();
        // Mia has two ids: two searches, each with both people (AND); the safe exclusion reuses them.
        assert_eq!(plan.leaves.len(), 2);
        assert_eq!(
            plan.include[0],
            Node::Any(vec![Node::Leaf(0), Node::Leaf(1)])
        );
        assert_eq!(plan.leaves[0].body["personIds"], json!(["m1", "l1"]));
        assert_eq!(plan.exclude[0], Node::Empty);
        assert!(plan.notes[0].contains("`Anna`"), "{:?}", plan.notes);
        assert_eq!(plan.safe_exclude.as_ref().unwrap()[0], plan.include[0]);
        assert_eq!(plan.reads_local, [true, true]);
    }

    #[test]
    fn many_same_named_people_build_only_the_first_combinations() {
        // Eight names with twelve ids each: 12^8 combinations, of which the plan uses 64; building
        // all of them first would not finish.
        let names: Vec<String> = (0..8).map(|n| format!("P{n}")).collect();
        let people: PeopleIndex = names
            .iter()
            .map(|name| {
                let ids = (0..12).map(|i| format!("{name}-{i}")).collect();
                (name.to_lowercase(), ids)
            })
            .collect();
        let (sender, receiver) = std::sync::mpsc::channel();
        let condition = Condition::People(names.clone());
        std::thread::spawn(move || {
            let mut builder = PlanBuilder::new(&people, LocalFilters::default());
            builder.include(&condition);
            let _ = sender.send(builder.build());
        });
        let plan = receiver
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("the plan is built at once");
        assert_eq!(plan.leaves.len(), MAX_PEOPLE_COMBINATIONS);
        // The first ones, in order: the last name's ids vary first.
        let ids = |leaf: usize| plan.leaves[leaf].body["personIds"].clone();
        assert_eq!(
            ids(0),
            json!([
                "P0-0", "P1-0", "P2-0", "P3-0", "P4-0", "P5-0", "P6-0", "P7-0"
            ])
        );
        assert_eq!(
            ids(13),
            json!([
                "P0-0", "P1-0", "P2-0", "P3-0", "P4-0", "P5-0", "P6-1", "P7-1"
            ])
        );
        assert!(
            plan.notes[0].contains("used the first 64 combinations"),
            "{:?}",
            plan.notes
        );
        // Within the limit, every combination and no note.
        let two = PeopleIndex::from([
            ("a".to_string(), vec!["a1".to_string(), "a2".to_string()]),
            ("b".to_string(), vec!["b1".to_string(), "b2".to_string()]),
        ]);
        let mut builder = PlanBuilder::new(&two, LocalFilters::default());
        builder.include(&Condition::People(vec!["A".into(), "B".into()]));
        let plan = builder.build();
        assert_eq!(plan.leaves.len(), 4);
        assert!(plan.notes.is_empty(), "{:?}", plan.notes);
    }

    #[test]
    fn include_searches_ask_for_the_timeline_unless_the_filter_says_otherwise() {
        let people = PeopleIndex::from([("mia".to_string(), vec!["m1".to_string()])]);
        let archived = SearchFilter::from_value(
            SearchKind::Metadata,
            "a.json".into(),
            json!({"visibility": "archive"}),
        )
        .unwrap();
        let mut builder = PlanBuilder::new(&people, LocalFilters::default()).timeline_only(true);
        builder.include(&Condition::People(vec!["Mia".into()]));
        builder.include(&Condition::Search(archived));
        builder.exclude(&Condition::People(vec!["Mia".into()]));
        let plan = builder.build();
        let bodies: Vec<Value> = plan
            .leaves
            .iter()
            .map(|l| Value::Object(l.body.clone()))
            .collect();
        assert_eq!(
            bodies,
            [
                json!({"personIds": ["m1"], "visibility": "timeline"}),
                json!({"visibility": "archive"}),
                json!({"personIds": ["m1"]}),
            ],
            "the exclusion runs unrestricted, as a search of its own"
        );
        // Without it (the Python-compatible command, or include_archived), filters go as written.
        let mut builder = PlanBuilder::new(&people, LocalFilters::default());
        builder.include(&Condition::People(vec!["Mia".into()]));
        assert_eq!(
            Value::Object(builder.build().leaves[0].body.clone()),
            json!({"personIds": ["m1"]})
        );
    }

    #[test]
    fn exactly_the_most_combinations_are_all_built_without_a_note() {
        // Two names with eight ids each: 64 combinations, as many as one condition may have.
        let people: PeopleIndex = ["a", "b"]
            .iter()
            .map(|name| {
                let ids = (0..8).map(|i| format!("{name}{i}")).collect();
                (name.to_string(), ids)
            })
            .collect();
        let mut builder = PlanBuilder::new(&people, LocalFilters::default());
        builder.include(&Condition::People(vec!["A".into(), "B".into()]));
        let plan = builder.build();
        assert_eq!(plan.leaves.len(), MAX_PEOPLE_COMBINATIONS);
        assert!(
            plan.notes.is_empty(),
            "nothing was left out: {:?}",
            plan.notes
        );
    }

    #[test]
    fn a_name_with_no_ids_matches_nothing_and_is_noted() {
        // The drop-in's index holds every name asked for, an unknown one with no ids.
        let people = PeopleIndex::from([
            ("Mia".to_string(), Vec::new()),
            ("Leo".to_string(), vec!["l1".to_string()]),
        ]);
        let mut builder = PlanBuilder::new(&people, LocalFilters::default());
        builder.include(&Condition::People(vec!["Mia".into(), "Leo".into()]));
        let plan = builder.build();
        assert_eq!(plan.include, [Node::Empty]);
        assert!(plan.leaves.is_empty(), "{:?}", plan.leaves);
        assert!(plan.notes[0].contains("`Mia`"), "{:?}", plan.notes);
    }
}
