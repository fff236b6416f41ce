#include "api/object_meta.h"

#include "api/json_fields.h"

namespace api {

namespace {

template <class V>
void OwnerReferenceFields(V& v, OwnerReference& o) {
  v.Required("apiVersion", o.api_version);
  v.Required("kind", o.kind);
  v.Required("name", o.name);
  v.Required("uid", o.uid);
  v("controller", o.controller);
  v("blockOwnerDeletion", o.block_owner_deletion);
}

template <class V>
void ObjectMetaFields(V& v, ObjectMeta& m) {
  v("name", m.name);
  v("namespace", m.namespace_);
  v("uid", m.uid);
  v("resourceVersion", m.resource_version);
  v("generation", m.generation);
  v("creationTimestamp", m.creation_timestamp);
  v("deletionTimestamp", m.deletion_timestamp);
  v("labels", m.labels);
  v("annotations", m.annotations);
  v("ownerReferences", m.owner_references);
  v("finalizers", m.finalizers);
}

}  // namespace

void Fields(json_fields::Reader& v, OwnerReference& o) { OwnerReferenceFields(v, o); }
void Fields(json_fields::Writer& v, OwnerReference& o) { OwnerReferenceFields(v, o); }
void Fields(json_fields::Reader& v, ObjectMeta& m) { ObjectMetaFields(v, m); }
void Fields(json_fields::Writer& v, ObjectMeta& m) { ObjectMetaFields(v, m); }

std::string ObjectKey(const ObjectMeta& meta) {
  return meta.namespace_.empty() ? meta.name : meta.namespace_ + "/" + meta.name;
}

}  // namespace api
