//! Fixtures shared by the integration tests.

#![allow(dead_code)]

use trellis_domain::{
    Email, FullName, NewProject, NewUser, PasswordHash, ProjectName, User, UserId,
};
use trellis_ports::UserRepository;
use trellis_postgres::PgStore;

/// A registration for `email` with a fake hash.
pub fn new_user(email: &str) -> NewUser {
    NewUser::register(
        Email::parse(email).expect("a valid e-mail"),
        FullName::parse("Ada Lovelace").expect("a valid name"),
        PasswordHash::new("$2b$04$notarealhashnotarealhashnotarealhashnotarealhashnot".into()),
    )
}

/// A stored account with a unique e-mail.
pub async fn user(store: &PgStore) -> User {
    let email = format!("{}@example.com", UserId::generate());
    UserRepository::create(store, new_user(&email))
        .await
        .expect("a new account")
}

/// An active project with only a name.
pub fn named(name: &str) -> NewProject {
    NewProject::named(ProjectName::parse(name).expect("a valid project name"))
}
