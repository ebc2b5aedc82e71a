//! How the simulated server misbehaves or differs, from now on: injected faults and redirects, and
//! the quirks of real servers a client must live with (short smart-search pages, capped people
//! pages, a miscounted 2.x album, slow originals, another API endpoint or reported version).

use std::time::Duration;

use super::{FaultPlan, Simulator};

impl Simulator {
    /// Inject faults from now on, by this plan (replacing any plan and `fail_always` before it; the
    /// draws start again from the plan's seed).
    pub fn set_faults(&self, plan: FaultPlan) {
        self.faults().set_plan(plan);
    }

    /// No more faults: removes the plan, every `fail_always` and every redirect.
    pub fn clear_faults(&self) {
        self.faults().clear();
    }

    /// Every request of `account`'s keys to endpoints matching `endpoint` (as in [`FaultRule`]) is
    /// answered 503 from now on.
    pub fn fail_always(&self, account: &str, endpoint: &str) {
        self.lock().user_by_name(account);
        self.faults().fail_always(account, endpoint);
    }

    /// Requests to endpoints matching `endpoint` (as in [`FaultRule`]) are answered 307 with this
    /// `Location` from now on.
    pub fn set_redirect(&self, endpoint: &str, location: String) {
        self.faults().set_redirect(endpoint, location);
    }

    /// The next `n` answers of 2.x's `GET /api/albums/{id}` with its assets count one more asset than
    /// they embed, as 2.5.6 answers when an add lands between its two queries (its count and its
    /// assets are read apart).
    pub fn miscount_albums(&self, n: usize) {
        self.lock().miscounted_albums = n;
    }

    /// `/.well-known/immich` names this API endpoint from now on (Immich answers `/api`).
    pub fn set_api_endpoint(&self, endpoint: &str) {
        self.lock().api_endpoint = Some(endpoint.to_string());
    }

    /// Originals download slowly from now on: a pause of `pause` before each 64 KiB chunk (`None`:
    /// at once again).
    pub fn pace_originals(&self, pause: Option<Duration>) {
        self.lock().original_pace = pause;
    }

    /// `GET /api/server/version` answers this version from now on (the answer shapes stay the line's).
    pub fn report_version(&self, major: u32, minor: u32, patch: u32) {
        self.lock().reported_version = Some((major, minor, patch));
    }

    /// Every smart search from now on answers its first page `n` results short, with no next page, as
    /// Immich 2.x with pgvector does when nearest candidates belong to other users.
    pub fn cut_smart_results(&self, n: usize) {
        let mut st = self.lock();
        st.smart_shortfall = n;
        st.search_cache.clear();
    }

    /// `GET /api/people` answers at most `n` people a page from now on, whatever size was asked, as a
    /// server may: a client must follow `hasNextPage` to the last page.
    pub fn cap_people_pages(&self, n: usize) {
        self.lock().people_page_cap = Some(n.max(1));
    }
}
