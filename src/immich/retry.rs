//! Retrying one API call. [`RetryPolicy`] bounds the retries of a call (attempts, the exponential
//! backoff with jitter between them, and the total time); [`run`] drives the attempts of one call with
//! `backon` and decides, from how an attempt failed ([`Class`]) and how safe the call is to repeat
//! ([`Safety`]), whether to try again. Reverse proxies in front of home servers restart, time out and
//! answer 502: those failures are retried; what a repeat cannot fix (400, 401, 403, 404, 500, a
//! redirect) is not. Each retry is logged at debug level with the endpoint, the attempt, the wait and
//! the reason, never a header.

use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use backon::{ExponentialBuilder, Retryable};

use super::error::ApiError;

/// How often and how long a call is retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Requests sent for one call at most, the first one included (1 = never retry).
    pub max_attempts: u32,
    /// The wait before the first retry; it doubles on each retry, plus up to as much again of jitter.
    pub min_delay: Duration,
    /// The longest wait between two attempts, also the cap on a server's `Retry-After`.
    pub max_delay: Duration,
    /// No retry starts later than this after the first request (a request in flight runs to its own
    /// timeout).
    pub max_total: Duration,
}

/// Requests sent for one call at most, by default (the `attempts` setting changes it).
pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            min_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(10),
            max_total: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// One attempt per call.
    pub fn never() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }
}

/// How safe a call is to send again after a failure whose effect on the server is unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Safety {
    /// Sending it twice has the effect of sending it once: GETs, searches, album adds (the second add of
    /// an id answers `duplicate`).
    Idempotent,
    /// A repeat would act twice (`POST /api/albums` creates another album): retried only when the
    /// request surely never reached the server.
    OnlyIfUnsent,
}

/// How an attempt failed, as far as retrying goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    /// No connection was made: the server never saw the request.
    Unsent,
    /// The server or a proxy may have seen it, and a repeat may work: a timeout, a connection closed
    /// without an answer, a cut-off or unreadable 2xx body, 429, 502, 503, 504.
    Transient,
    /// A repeat gets the same answer: 400, 401, 403, 404, 500, a redirect, a bad request.
    Final,
}

/// One failed attempt.
#[derive(Debug)]
pub(crate) struct Failure {
    pub error: ApiError,
    pub class: Class,
    /// The server's `Retry-After` (in seconds), on a 429.
    pub retry_after: Option<Duration>,
}

impl Failure {
    pub fn new(error: ApiError, class: Class) -> Failure {
        Failure {
            error,
            class,
            retry_after: None,
        }
    }

    fn retryable(&self, safety: Safety) -> bool {
        match (self.class, safety) {
            (Class::Unsent, _) => true,
            (Class::Transient, Safety::Idempotent) => true,
            (Class::Transient, Safety::OnlyIfUnsent) | (Class::Final, _) => false,
        }
    }
}

/// The class of an HTTP error status.
pub(crate) fn class_of_status(status: u16) -> Class {
    match status {
        429 | 502 | 503 | 504 => Class::Transient,
        _ => Class::Final,
    }
}

/// Reads `Retry-After` in seconds (the HTTP-date form is ignored: the backoff applies then).
pub(crate) fn parse_retry_after(value: Option<&str>) -> Option<Duration> {
    value?.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// Runs the attempts of one call until one succeeds, a failure is not worth retrying, or the policy's
/// attempts or time are used up. The error is the last attempt's, with the attempts and the time taken.
pub(crate) async fn run<T, F, Fut>(
    policy: &RetryPolicy,
    endpoint: &str,
    safety: Safety,
    mut attempt: F,
) -> Result<T, ApiError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Failure>>,
{
    let started = Instant::now();
    let attempts = AtomicU32::new(0);
    let backoff = ExponentialBuilder::new()
        .with_jitter()
        .with_factor(2.0)
        .with_min_delay(policy.min_delay)
        .with_max_delay(policy.max_delay)
        .with_max_times(policy.max_attempts.saturating_sub(1) as usize)
        .with_total_delay(Some(policy.max_total));
    let result = (|| {
        attempts.fetch_add(1, Ordering::Relaxed);
        attempt()
    })
    .retry(backoff)
    .sleep(tokio::time::sleep)
    .when(|failure: &Failure| failure.retryable(safety))
    .adjust(|failure: &Failure, next: Option<Duration>| {
        // `None` from the backoff: out of attempts or of waiting time.
        let wait = failure.retry_after.unwrap_or(next?).min(policy.max_delay);
        (started.elapsed() + wait <= policy.max_total).then_some(wait)
    })
    .notify(|failure: &Failure, wait: Duration| {
        tracing::debug!(
            "{endpoint}: attempt {} failed, retrying in {} ms: {}",
            attempts.load(Ordering::Relaxed),
            wait.as_millis(),
            failure.error.kind
        );
    })
    .await;
    result.map_err(|failure| {
        let mut error = failure.error;
        error.attempts = attempts.load(Ordering::Relaxed).max(1);
        if error.attempts > 1 {
            error.elapsed = started.elapsed();
        }
        error
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::immich::ApiErrorKind;

    fn failure(status: u16) -> Failure {
        let error = ApiError::from_status("GET /api/x".into(), status, b"no", None);
        Failure::new(error, class_of_status(status))
    }

    fn fast(max_attempts: u32) -> RetryPolicy {
        RetryPolicy {
            max_attempts,
            min_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(2),
            max_total: Duration::from_secs(5),
        }
    }

    async fn count_attempts(
        policy: &RetryPolicy,
        safety: Safety,
        make: impl Fn() -> Failure,
    ) -> ApiError {
        run::<(), _, _>(policy, "GET /api/x", safety, || {
            let failure = make();
            async move { Err(failure) }
        })
        .await
        .unwrap_err()
    }

    #[tokio::test]
    async fn transient_statuses_are_retried_until_the_attempts_run_out() {
        for status in [429, 502, 503, 504] {
            let error = count_attempts(&fast(4), Safety::Idempotent, || failure(status)).await;
            assert_eq!(error.attempts, 4, "{status}");
            assert!(
                error.to_string().contains("gave up after 4 attempts"),
                "{error}"
            );
        }
    }

    #[tokio::test]
    async fn final_statuses_are_not_retried() {
        for status in [400, 401, 403, 404, 500, 307] {
            let error = count_attempts(&fast(4), Safety::Idempotent, || failure(status)).await;
            assert_eq!(error.attempts, 1, "{status}");
            assert!(!error.to_string().contains("gave up"), "{error}");
        }
    }

    #[tokio::test]
    async fn unsafe_calls_are_retried_only_when_unsent() {
        let error = count_attempts(&fast(3), Safety::OnlyIfUnsent, || failure(502)).await;
        assert_eq!(error.attempts, 1);
        let unsent = || {
            let error = ApiError::new(
                "POST /api/albums",
                ApiErrorKind::Transport {
                    message: "connection failed".into(),
                    timeout: false,
                },
            );
            Failure::new(error, Class::Unsent)
        };
        let error = count_attempts(&fast(3), Safety::OnlyIfUnsent, unsent).await;
        assert_eq!(error.attempts, 3);
    }

    #[tokio::test]
    async fn a_later_success_is_returned() {
        let calls = AtomicU32::new(0);
        let value = run(&fast(5), "GET /api/x", Safety::Idempotent, || {
            let n = calls.fetch_add(1, Ordering::Relaxed);
            async move { if n < 2 { Err(failure(503)) } else { Ok(n) } }
        })
        .await
        .unwrap();
        assert_eq!(value, 2);
    }

    #[tokio::test]
    async fn retry_after_is_capped_by_the_policy() {
        // A server asking for an hour: the wait is capped at max_delay, so this returns promptly.
        let policy = fast(2);
        let error = count_attempts(&policy, Safety::Idempotent, || Failure {
            retry_after: Some(Duration::from_secs(3600)),
            ..failure(429)
        })
        .await;
        assert_eq!(error.attempts, 2);
        // A Retry-After beyond the total budget ends the retries.
        let policy = RetryPolicy {
            max_delay: Duration::from_secs(3600),
            max_total: Duration::from_millis(50),
            ..fast(3)
        };
        let error = count_attempts(&policy, Safety::Idempotent, || Failure {
            retry_after: Some(Duration::from_secs(3600)),
            ..failure(429)
        })
        .await;
        assert_eq!(error.attempts, 1);
    }

    #[test]
    fn retry_after_reads_seconds_only() {
        assert_eq!(parse_retry_after(Some("0")), Some(Duration::ZERO));
        assert_eq!(parse_retry_after(Some(" 3 ")), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after(Some("Wed, 21 Oct 2015 07:28:00 GMT")),
            None
        );
        assert_eq!(parse_retry_after(None), None);
    }
}
