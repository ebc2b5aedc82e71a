//! People pages, and the validation of their boolean query values.

use serde_json::json;

use crate::sim::tests::harness::*;

#[tokio::test]
async fn a_bad_boolean_query_value_lists_the_accepted_ones() {
    let h = Harness::new(&["alice"], 3);
    let (status, body) = h
        .call("alice", "GET", "/api/people?withHidden=maybe", json!(null))
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!({"message": "Validation failed", "errors": [{
            "code": "invalid_value", "expected": "stringbool", "values": ["true", "false"],
            "path": ["withHidden"],
            "message": "Invalid option: expected one of \"true\"|\"false\""}]})
    );
    let (status, _) = h
        .call("alice", "GET", "/api/albums?isShared=True", json!(null))
        .await;
    assert_eq!(status, 400, "case-sensitive");
}

#[tokio::test]
async fn people_pages() {
    let h = Harness::new(&["alice", "bob"], 10);
    let (status, page1) = h
        .call(
            "alice",
            "GET",
            "/api/people?page=1&size=3&withHidden=true",
            json!(null),
        )
        .await;
    assert_eq!(status, 200);
    let names: Vec<&str> = page1["people"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Mia", "Leo", "Anna"]);
    assert_eq!(page1["hasNextPage"], true);
    assert_eq!(page1["total"], 5);
    assert_eq!(page1["hidden"], 0);
    assert_eq!(
        page1["people"][0]["id"],
        json!(h.sim.person_id("alice", "Mia").unwrap())
    );
    let (_, page2) = h
        .call("alice", "GET", "/api/people?page=2&size=3", json!(null))
        .await;
    let names: Vec<&str> = page2["people"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Alice", "Bob"]);
    assert_eq!(page2["hasNextPage"], false);
    let (_, all) = h.call("bob", "GET", "/api/people", json!(null)).await;
    assert_eq!(
        all["people"][0]["id"],
        json!(h.sim.person_id("bob", "Mia").unwrap())
    );
    assert_ne!(all["people"][0]["id"], page1["people"][0]["id"]);
    let (status, _) = h
        .call("bob", "GET", "/api/people?size=1001", json!(null))
        .await;
    assert_eq!(status, 400);
}
