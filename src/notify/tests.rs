use super::*;

fn check(yaml: &str, env: &[(&str, &str)]) -> Result<Notify, InputError> {
    let file: NotifyFile = serde_saphyr::from_str(yaml).expect("valid YAML");
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let lookup = move |var: &str| env.iter().find(|(k, _)| k == var).map(|(_, v)| v.clone());
    file.check("profile family.yaml", Path::new("/nowhere"), &lookup)
}

#[test]
fn each_channel_is_read_from_its_source_with_failure_as_the_default() {
    let notify = check(
        "ping: https://hc.example.org/ping/abc\n\
         webhook: {url_env: HOOK}\n\
         ntfy: {url: 'https://ntfy.example.org/family', on: change}\n",
        &[("HOOK", " https://hooks.example.org/x \n")],
    )
    .unwrap();
    assert_eq!(
        notify.ping.as_ref().unwrap().expose(),
        "https://hc.example.org/ping/abc"
    );
    let webhook = notify.webhook.unwrap();
    assert_eq!(webhook.url.expose(), "https://hooks.example.org/x");
    assert_eq!(webhook.on, On::Failure);
    assert_eq!(notify.ntfy.unwrap().on, On::Change);
}

#[test]
fn a_url_names_its_source_and_never_prints_itself() {
    let notify = check(
        "ping_env: HC\n",
        &[("HC", "https://hc.example.org/ping/secret")],
    )
    .unwrap();
    let ping = notify.ping.unwrap();
    assert_eq!(ping.to_string(), "notify.ping from $HC");
    assert!(!format!("{ping:?}").contains("secret"));
}

#[test]
fn a_malformed_or_missing_url_is_an_input_error_that_does_not_print_it() {
    for (yaml, env, expected) in [
        ("ping: hc.example.org/ping/secret\n", vec![], "not a URL"),
        (
            "ping: ftp://hc.example.org/secret\n",
            vec![],
            "expected http:// or https://",
        ),
        ("ping_env: HC\n", vec![], "HC is not set"),
        (
            "ping: https://a.example/secret\nping_env: HC\n",
            vec![("HC", "https://b.example/")],
            "ping and ping_env are all set",
        ),
        (
            "webhook: {on: always}\n",
            vec![],
            "needs one of `url`, `url_env` or `url_file`",
        ),
        (
            "ntfy: {url: 'https://ntfy.example/secret/{status}'}\n",
            vec![],
            "for the ping URL only",
        ),
        (
            "ping_file: secret-file\n",
            vec![],
            "cannot read /nowhere/secret-file",
        ),
    ] {
        let error = check(yaml, &env).unwrap_err().to_string();
        assert!(error.contains(expected), "{yaml}: {error}");
        assert!(
            error.starts_with("profile family.yaml: `notify."),
            "{error}"
        );
        assert!(
            !error.contains("secret") || error.contains("secret-file"),
            "{yaml}: the URL is printed: {error}"
        );
    }
}

#[test]
fn unknown_fields_and_values_are_errors() {
    assert!(serde_saphyr::from_str::<NotifyFile>("pings: https://a.example/\n").is_err());
    assert!(
        serde_saphyr::from_str::<NotifyFile>("ntfy: {url: 'https://a.example/', on: sometimes}\n")
            .is_err()
    );
}

#[test]
fn a_job_files_channels_replace_the_profiles_one_by_one() {
    let profile = check(
        "ping: https://hc.example.org/ping/family\nntfy: {url: 'https://ntfy.example/family'}\n",
        &[],
    )
    .unwrap();
    let job = check("ping: https://hc.example.org/ping/kids\n", &[]).unwrap();
    let both = job.over(profile);
    assert_eq!(
        both.ping.unwrap().expose(),
        "https://hc.example.org/ping/kids"
    );
    assert_eq!(
        both.ntfy.unwrap().url.expose(),
        "https://ntfy.example/family"
    );
    assert!(both.webhook.is_none());
}

#[test]
fn on_says_which_runs_are_worth_a_message() {
    let ending = |status, changed| Ending {
        status,
        changed,
        ..Ending::default()
    };
    for (on, quiet, changed, failed) in [
        (On::Failure, false, false, true),
        (On::Change, false, true, true),
        (On::Always, true, true, true),
    ] {
        assert_eq!(on.wants(&ending(0, false)), quiet, "{on:?}");
        assert_eq!(on.wants(&ending(0, true)), changed, "{on:?}");
        assert_eq!(on.wants(&ending(1, false)), failed, "{on:?}");
        assert_eq!(on.wants(&ending(2, false)), failed, "{on:?}");
    }
}

#[test]
fn the_channels_say_where_each_url_comes_from_never_the_url() {
    let file: NotifyFile = serde_saphyr::from_str(
        "ping: https://hc.example.org/ping/secret\nntfy: {url_env: NTFY, on: change}\n",
    )
    .unwrap();
    assert_eq!(
        file.channels(),
        vec![
            ("notify.ping", "written in the file".to_string()),
            ("notify.ntfy", "from $NTFY, on change".to_string()),
        ]
    );
}

#[test]
fn notify_is_empty_only_without_any_channel() {
    assert!(Notify::default().is_empty());
    for yaml in [
        "ping: https://hc.example.org/ping/a\n",
        "webhook: {url: 'https://hooks.example.org/a'}\n",
        "ntfy: {url: 'https://ntfy.example.org/a'}\n",
        "gotify: {url: 'https://gotify.example.org/message?token=a'}\n",
    ] {
        assert!(!check(yaml, &[]).unwrap().is_empty(), "{yaml}");
    }
}
