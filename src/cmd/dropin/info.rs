//! Without any filter flag the Python script shows who its key belongs to: the user, the albums the
//! user can see, the server's users and the named people. The same here, each album once.

use crate::immich::{ApiError, Client, Person};
use crate::job;
use crate::output::dropin::AccountInfo;

/// Reads the user, albums, users and people of the key's account, all at once.
pub async fn gather(client: &Client) -> Result<AccountInfo, ApiError> {
    let (user, albums, users, people) = futures::join!(
        client.me(),
        client.albums(None),
        client.users(),
        job::account::people(client)
    );
    let mut albums = albums?;
    albums.sort_by(|a, b| (&a.album_name, &a.id).cmp(&(&b.album_name, &b.id)));
    albums.dedup_by(|a, b| a.id == b.id);
    let mut users = users?;
    users.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
    let mut people: Vec<Person> = people?
        .into_iter()
        .filter(|p| !p.name.trim().is_empty())
        .collect();
    people.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
    Ok(AccountInfo {
        user: user?,
        albums,
        users,
        people,
    })
}
