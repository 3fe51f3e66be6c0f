//! The OpenAPI 3.1 document of `/api/v1`, written by hand from the handler types so
//! it carries no macro dependency; a test checks every documented path answers.

use serde_json::{Value, json};

fn op(summary: &str, params: Value, responses: Value) -> Value {
    json!({"summary": summary, "parameters": params, "responses": responses})
}

fn path_param(name: &str, what: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "description": what, "schema": {"type": "string"}})
}

fn query_param(name: &str, what: &str, required: bool) -> Value {
    json!({"name": name, "in": "query", "required": required, "description": what, "schema": {"type": "string"}})
}

pub fn document() -> Value {
    let product = json!({"type": "object", "required": ["label_id", "org", "firmware_sha256", "assessment_sha256", "leaf_index"],
        "properties": {
            "label_id": {"type": "string", "description": "SHA-256 of label.json"},
            "org": {"type": "string"}, "manufacturer": {"type": ["string", "null"]}, "product": {"type": ["string", "null"]},
            "model": {"type": ["string", "null"]}, "firmware_version": {"type": ["string", "null"]},
            "firmware_sha256": {"type": "string"}, "assessment_sha256": {"type": "string"},
            "profile": {"type": "string"}, "scheme": {"type": "string"}, "outcome": {"type": "string"},
            "support_end": {"type": ["string", "null"]}, "disclosure_contact": {"type": ["string", "null"]},
            "issued": {"type": "string"}, "published": {"type": "string"}, "leaf_index": {"type": "integer"},
            "withdrawn": {"type": ["string", "null"]}, "withdraw_reason": {"type": ["string", "null"]},
            "withdraw_leaf": {"type": ["integer", "null"]},
            "kev_gained": {"type": "array", "items": {"type": "string"}}}});
    let err = json!({"description": "error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
    let ok = |d: &str, schema: Value| json!({"description": d, "content": {"application/json": {"schema": schema}}});
    let bearer = json!([{"token": []}]);
    json!({
        "openapi": "3.1.0",
        "info": {"title": "baseliner registry", "version": "1",
            "description": "Publish, look up and verify baseliner labels; every publication and withdrawal is a leaf of a transparency log (RFC 6962 hashing, C2SP checkpoints and tiles under /log)."},
        "paths": {
            "/api/v1/publish": {"post": {
                "summary": "Publish a signed label with its assessment (one transaction with its log leaf)",
                "security": bearer,
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Submission"}}}},
                "responses": {"201": ok("published", json!({"$ref": "#/components/schemas/Product"})),
                    "400": err, "401": err, "403": err, "409": err, "413": {"description": "body too large"}, "422": err, "429": err}}},
            "/api/v1/search": {"get": op("Search products", json!([query_param("q", "words of manufacturer, product, model, firmware version; or a SHA-256", false)]),
                json!({"200": ok("matches", json!({"type": "array", "items": {"$ref": "#/components/schemas/Product"}}))}))},
            "/api/v1/products/{id}": {"get": op("A product page's data: label facts, status, vulnerabilities, firmware history",
                json!([path_param("id", "label id")]), json!({"200": ok("product", json!({"type": "object"})), "404": err}))},
            "/api/v1/products/{id}/label": {"get": op("label.json as published", json!([path_param("id", "label id")]), json!({"200": ok("label", json!({"type": "object"})), "404": err}))},
            "/api/v1/products/{id}/assessment": {"get": op("assessment.json as published", json!([path_param("id", "label id")]), json!({"200": ok("assessment", json!({"type": "object"})), "404": err}))},
            "/api/v1/products/{id}/sbom": {"get": op("CycloneDX SBOM made from the assessment", json!([path_param("id", "label id")]), json!({"200": {"description": "SBOM"}, "404": err}))},
            "/api/v1/products/{id}/withdraw": {"post": {
                "summary": "Withdraw a label (a new log entry; nothing is deleted)", "security": bearer,
                "parameters": [path_param("id", "label id")],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["reason"], "properties": {"reason": {"type": "string"}}}}}},
                "responses": {"200": ok("withdrawn", json!({"$ref": "#/components/schemas/Product"})), "401": err, "403": err, "404": err, "409": err, "429": err}}},
            "/api/v1/verify/{sha256}": {"get": op("Verify by label id, firmware SHA-256 or assessment SHA-256",
                json!([path_param("sha256", "64 hex digits")]),
                json!({"200": ok("status valid, support-ended or withdrawn", json!({"type": "object"})), "404": ok("unknown", json!({"type": "object"})), "400": err}))},
            "/api/v1/proof/{id}": {"get": op("Proof bundle: label, log entries with inclusion proofs, signed checkpoint",
                json!([path_param("id", "label id")]), json!({"200": ok("bundle", json!({"type": "object"})), "404": err}))},
            "/api/v1/impact": {"get": op("Published products containing a component (optionally in a version range) or affected by a vulnerability",
                json!([query_param("component", "component name", false), query_param("min", "lowest version, inclusive", false),
                       query_param("max", "highest version, inclusive", false), query_param("cve", "vulnerability id", false)]),
                json!({"200": ok("products", json!({"type": "array"})), "400": err}))},
            "/api/v1/log": {"get": op("Log state: origin, size, root, verifier key, signed checkpoint", json!([]), json!({"200": ok("log", json!({"type": "object"}))}))},
            "/api/v1/log/consistency": {"get": op("Consistency proof between two tree sizes",
                json!([query_param("old", "earlier size", true), query_param("new", "later size (default: current)", false)]),
                json!({"200": ok("proof", json!({"type": "object"})), "400": err}))},
            "/api/v1/openapi.json": {"get": op("This document", json!([]), json!({"200": {"description": "OpenAPI document"}}))},
            "/log/checkpoint": {"get": op("C2SP checkpoint (signed note)", json!([]), json!({"200": {"description": "text/plain"}}))},
            "/log/key": {"get": op("The log's signed-note verifier key", json!([]), json!({"200": {"description": "text/plain"}}))},
        },
        "components": {
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Product": product,
                "Submission": {"type": "object", "required": ["label", "assessment"], "additionalProperties": false,
                    "properties": {"label": {"type": "string", "description": "label.json, byte for byte"},
                                   "assessment": {"type": "string", "description": "assessment.json"}}},
                "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}}
            }
        }
    })
}
