//! Fault injection: what a flaky home server and the reverse proxy in front of it do to requests. A
//! seeded [`FaultPlan`] gives each endpoint pattern a [`FaultRule`] (rates of 500, 502, 503, 504 and
//! 429 answers, of connections closed without an answer, of cut-off bodies, added latency, and the
//! share of 5xx that come after the change was applied); `always_fail` makes one account's requests to
//! an endpoint fail every time; redirects answer 307. This module owns the plan and the decision for
//! each request, drawn from the simulator's own seeded rng in arrival order, so a client that sends its
//! requests one after another sees the same faults on every run. The `gateway` middleware in `routes`
//! carries the decision out and logs it.

use std::time::Duration;

use super::rng::Rng;

/// What to inject, and where. Install it with `Simulator::set_faults`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FaultPlan {
    /// Seeds the draws: the same plan and the same sequence of requests give the same faults.
    pub seed: u64,
    /// For each request the first rule whose endpoint matches applies.
    pub rules: Vec<FaultRule>,
    /// `(account, endpoint pattern)`: every request of the account's keys to a matching endpoint is
    /// answered 503, before any rule.
    pub always_fail: Vec<(String, String)>,
}

/// The faults of one endpoint pattern. Rates are probabilities per request; they add up (at most 1).
#[derive(Debug, Clone, PartialEq)]
pub struct FaultRule {
    /// `METHOD /path` with `*` for one path segment (`PUT /api/albums/*/assets`), `* /path` for any
    /// method, or `*` for every request.
    pub endpoint: String,
    pub status_500: f64,
    pub status_502: f64,
    pub status_503: f64,
    pub status_504: f64,
    /// Answered with `Retry-After: {retry_after_secs}`.
    pub status_429: f64,
    pub retry_after_secs: u64,
    /// The connection is closed without an answer (the handler does not run).
    pub reset: f64,
    /// The handler runs; its status line and headers are sent with half of the body, then the
    /// connection is closed.
    pub truncate: f64,
    /// Added latency, drawn uniformly from the range, before the request is handled.
    pub latency: Option<(Duration, Duration)>,
    /// The share of the injected 5xx answers given after the handler ran: the change was applied but
    /// the client sees an error.
    pub after_handler: f64,
    /// The first `pass_first` requests that match this rule pass untouched (a server that goes down
    /// in the middle of a run, e.g. on the second page of a search).
    pub pass_first: u32,
}

impl Default for FaultRule {
    fn default() -> Self {
        FaultRule {
            endpoint: "*".to_string(),
            status_500: 0.0,
            status_502: 0.0,
            status_503: 0.0,
            status_504: 0.0,
            status_429: 0.0,
            retry_after_secs: 1,
            reset: 0.0,
            truncate: 0.0,
            latency: None,
            after_handler: 0.0,
            pass_first: 0,
        }
    }
}

impl FaultRule {
    /// A rule for `endpoint` that injects nothing yet.
    pub fn new(endpoint: &str) -> FaultRule {
        FaultRule {
            endpoint: endpoint.to_string(),
            ..FaultRule::default()
        }
    }

    /// `rate` spread evenly over what a restarting proxy does: 502, 503, 504, 429, reset and
    /// truncate. Not 500, an application error that a well-behaved client does not retry: set
    /// `status_500` for it.
    pub fn uniform(endpoint: &str, rate: f64) -> FaultRule {
        let each = rate / 6.0;
        FaultRule {
            status_502: each,
            status_503: each,
            status_504: each,
            status_429: each,
            reset: each,
            truncate: each,
            ..FaultRule::new(endpoint)
        }
    }
}

/// What the gateway does to one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Fault {
    /// Answer this status: before the handler, or after it ran (its answer is dropped).
    Status {
        status: u16,
        after_handler: bool,
        retry_after: Option<u64>,
    },
    /// Close the connection without an answer.
    Reset,
    /// Run the handler, send its head and half its body, close the connection.
    Truncate,
    /// `always_fail`: 503 before the handler.
    AlwaysFail,
    /// Answer 307 with this `Location`.
    Redirect(String),
}

impl Fault {
    /// The name in the request log.
    pub fn label(&self) -> String {
        match self {
            Fault::Status {
                status,
                after_handler: false,
                ..
            } => format!("status {status}"),
            Fault::Status { status, .. } => format!("status {status} after handler"),
            Fault::Reset => "reset".to_string(),
            Fault::Truncate => "truncate".to_string(),
            Fault::AlwaysFail => "always fail".to_string(),
            Fault::Redirect(_) => "redirect".to_string(),
        }
    }
}

/// The fault state of a running simulator: the plan, its rng, and the redirects.
#[derive(Debug)]
pub(crate) struct Faults {
    plan: FaultPlan,
    rng: Rng,
    /// Requests matched so far, by rule.
    matched: Vec<u32>,
    redirects: Vec<(String, String)>,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            plan: FaultPlan::default(),
            rng: Rng::new(0),
            matched: Vec::new(),
            redirects: Vec::new(),
        }
    }
}

impl Faults {
    /// Replaces the plan (the `always_fail` entries too) and restarts the draws from its seed.
    pub fn set_plan(&mut self, plan: FaultPlan) {
        self.rng = Rng::new(plan.seed);
        self.matched = vec![0; plan.rules.len()];
        self.plan = plan;
    }

    /// Removes the plan, the `always_fail` entries and the redirects.
    pub fn clear(&mut self) {
        *self = Faults::default();
    }

    pub fn fail_always(&mut self, account: &str, endpoint: &str) {
        self.plan
            .always_fail
            .push((account.to_string(), endpoint.to_string()));
    }

    pub fn set_redirect(&mut self, endpoint: &str, location: String) {
        self.redirects.push((endpoint.to_string(), location));
    }

    /// The fault for one request, if any, and the latency to add.
    pub fn decide(
        &mut self,
        method: &str,
        path: &str,
        account: Option<&str>,
    ) -> (Option<Fault>, Duration) {
        if let Some((_, location)) = self
            .redirects
            .iter()
            .find(|(pattern, _)| matches(pattern, method, path))
        {
            return (Some(Fault::Redirect(location.clone())), Duration::ZERO);
        }
        let failing =
            self.plan.always_fail.iter().any(|(who, pattern)| {
                account == Some(who.as_str()) && matches(pattern, method, path)
            });
        if failing {
            return (Some(Fault::AlwaysFail), Duration::ZERO);
        }
        let Some(index) = self
            .plan
            .rules
            .iter()
            .position(|rule| matches(&rule.endpoint, method, path))
        else {
            return (None, Duration::ZERO);
        };
        let rule = &self.plan.rules[index];
        self.matched[index] += 1;
        if self.matched[index] <= rule.pass_first {
            return (None, Duration::ZERO);
        }
        let latency = match rule.latency {
            Some((low, high)) if high > low => low + (high - low).mul_f64(self.rng.unit()),
            Some((low, _)) => low,
            None => Duration::ZERO,
        };
        let draw = self.rng.unit();
        let statuses = [
            (500, rule.status_500),
            (502, rule.status_502),
            (503, rule.status_503),
            (504, rule.status_504),
        ];
        let mut bound = 0.0;
        for (status, rate) in statuses {
            bound += rate;
            if draw < bound {
                let after_handler = self.rng.chance(rule.after_handler);
                let fault = Fault::Status {
                    status,
                    after_handler,
                    retry_after: None,
                };
                return (Some(fault), latency);
            }
        }
        bound += rule.status_429;
        if draw < bound {
            let fault = Fault::Status {
                status: 429,
                after_handler: false,
                retry_after: Some(rule.retry_after_secs),
            };
            return (Some(fault), latency);
        }
        bound += rule.reset;
        if draw < bound {
            return (Some(Fault::Reset), latency);
        }
        bound += rule.truncate;
        if draw < bound {
            return (Some(Fault::Truncate), latency);
        }
        (None, latency)
    }
}

/// Whether an endpoint pattern matches a request: `*`, `METHOD /path` or `* /path`, where a `*`
/// segment matches any one segment.
pub(crate) fn matches(pattern: &str, method: &str, path: &str) -> bool {
    let pattern = pattern.trim();
    if pattern == "*" {
        return true;
    }
    let (want_method, want_path) = pattern.split_once(' ').unwrap_or(("*", pattern));
    if want_method != "*" && !want_method.eq_ignore_ascii_case(method) {
        return false;
    }
    let want: Vec<&str> = want_path.trim().trim_end_matches('/').split('/').collect();
    let got: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    want.len() == got.len() && want.iter().zip(&got).all(|(w, g)| *w == "*" || w == g)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_method_and_segments() {
        assert!(matches("*", "GET", "/api/users/me"));
        assert!(matches(
            "POST /api/search/metadata",
            "POST",
            "/api/search/metadata"
        ));
        assert!(!matches(
            "POST /api/search/metadata",
            "POST",
            "/api/search/smart"
        ));
        assert!(!matches("GET /api/albums", "POST", "/api/albums"));
        assert!(matches("* /api/albums", "POST", "/api/albums"));
        assert!(matches(
            "PUT /api/albums/*/assets",
            "PUT",
            "/api/albums/123/assets"
        ));
        assert!(!matches(
            "PUT /api/albums/*/assets",
            "PUT",
            "/api/albums/123"
        ));
        assert!(!matches("GET /api/albums/*", "GET", "/api/albums"));
    }

    fn draws(plan: &FaultPlan, n: usize) -> Vec<Option<Fault>> {
        let mut faults = Faults::default();
        faults.set_plan(plan.clone());
        (0..n)
            .map(|_| {
                faults
                    .decide("POST", "/api/search/metadata", Some("alice"))
                    .0
            })
            .collect()
    }

    #[test]
    fn the_same_seed_draws_the_same_faults_at_about_the_rate() {
        let plan = FaultPlan {
            seed: 3,
            rules: vec![FaultRule::uniform("*", 0.3)],
            always_fail: Vec::new(),
        };
        let a = draws(&plan, 2000);
        assert_eq!(a, draws(&plan, 2000));
        let faulty = a.iter().filter(|f| f.is_some()).count();
        assert!((450..750).contains(&faulty), "{faulty} of 2000");
        for kind in [
            "status 502",
            "status 503",
            "status 504",
            "status 429",
            "reset",
            "truncate",
        ] {
            assert!(
                a.iter().flatten().any(|f| f.label() == kind),
                "{kind} is drawn"
            );
        }
        assert!(!a.iter().flatten().any(|f| f.label() == "status 500"));
        let other = FaultPlan { seed: 4, ..plan };
        assert_ne!(a, draws(&other, 2000));
    }

    #[test]
    fn pass_first_lets_the_first_requests_through() {
        let plan = FaultPlan {
            seed: 1,
            rules: vec![FaultRule {
                status_503: 1.0,
                pass_first: 2,
                ..FaultRule::new("POST /api/search/metadata")
            }],
            always_fail: Vec::new(),
        };
        let labels: Vec<Option<String>> = draws(&plan, 4)
            .into_iter()
            .map(|f| f.map(|f| f.label()))
            .collect();
        assert_eq!(
            labels,
            [
                None,
                None,
                Some("status 503".into()),
                Some("status 503".into())
            ]
        );
    }

    #[test]
    fn always_fail_and_redirects_come_first() {
        let mut faults = Faults::default();
        faults.fail_always("bob", "* /api/search/*");
        let (fault, _) = faults.decide("POST", "/api/search/smart", Some("bob"));
        assert_eq!(fault, Some(Fault::AlwaysFail));
        assert_eq!(
            faults.decide("POST", "/api/search/smart", Some("alice")).0,
            None
        );
        assert_eq!(faults.decide("POST", "/api/search/smart", None).0, None);
        faults.set_redirect("GET /api/users/me", "http://elsewhere/".into());
        assert_eq!(
            faults.decide("GET", "/api/users/me", Some("bob")).0,
            Some(Fault::Redirect("http://elsewhere/".into()))
        );
        faults.clear();
        assert_eq!(faults.decide("GET", "/api/users/me", Some("bob")).0, None);
        assert_eq!(
            faults.decide("POST", "/api/search/smart", Some("bob")).0,
            None
        );
    }
}
