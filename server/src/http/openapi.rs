//! The OpenAPI document of `/api`: generated from the handlers' annotations
//! (utoipa), then completed here with the error answers every operation can
//! give whatever its handler says, so the document lists every status a
//! caller can meet: a store down (503) or a bug (500) anywhere; a malformed
//! id in the path or a malformed query (400); a body that is not JSON or not
//! JSON at all (400), too large (413) or off its shape (422); a cross-site
//! write made with the session cookie (403). A fuzzer run against the
//! document (`scripts/fuzz-api.sh`) holds it to that.

use utoipa::{
    openapi::{
        path::{Operation, ParameterIn, PathItem},
        ContentBuilder, Ref, RefOr, ResponseBuilder,
    },
    OpenApi,
};

#[derive(OpenApi)]
#[openapi(
    info(title = "Live-room commerce API", description = "The public HTTP contract of the live-room commerce platform."),
    tags(
        (name = "viewer", description = "What a viewer's room and apps read"),
        (name = "auth", description = "Accounts and sessions"),
        (name = "streamer", description = "Rooms and goods; only the owner may change them"),
        (name = "orders", description = "Placing and reading orders"),
        (name = "operations", description = "Rebuilding what Redis holds from Postgres; what failed in a room"),
        (name = "payments", description = "Payment providers' signed callbacks"),
        (name = "video", description = "The RTMP ingest's calls about each stream (nginx only)"),
    )
)]
pub struct ApiDoc;

fn operations(item: &mut PathItem) -> impl Iterator<Item = (bool, &mut Operation)> {
    [(true, item.get.as_mut()), (false, item.put.as_mut()), (false, item.post.as_mut()), (false, item.delete.as_mut())]
        .into_iter()
        .filter_map(|(read, op)| op.map(|op| (read, op)))
}

fn add(op: &mut Operation, status: &str, description: &str) {
    op.responses.responses.entry(status.to_owned()).or_insert_with(|| {
        let body = ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build();
        RefOr::T(ResponseBuilder::new().description(description).content("application/json", body).build())
    });
}

fn has_parameter(op: &Operation, place: ParameterIn) -> bool {
    op.parameters
        .iter()
        .flatten()
        .any(|p| matches!(p, RefOr::T(p) if std::mem::discriminant(&p.parameter_in) == std::mem::discriminant(&place)))
}

/// Adds the statuses every operation of this shape can answer.
pub fn document_errors(doc: &mut utoipa::openapi::OpenApi) {
    for (path, item) in doc.paths.paths.iter_mut() {
        let has_path_ids = path.contains('{');
        for (read, op) in operations(item) {
            if has_path_ids || has_parameter(op, ParameterIn::Query) || op.request_body.is_some() {
                add(op, "400", "bad_request: a malformed id, query or body");
            }
            if has_path_ids {
                add(op, "404", "not_found: no such resource");
            }
            if op.request_body.is_some() {
                add(op, "413", "payload_too_large");
                add(op, "422", "validation: a body off its shape or breaking a rule");
            }
            if !read {
                add(op, "403", "forbidden: a cross-site write with the session cookie, or not yours");
            }
            add(op, "500", "internal: nothing of the cause is shown");
            add(op, "503", "unavailable: a store is unreachable or busy; retry");
        }
    }
}
