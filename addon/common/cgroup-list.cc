#include "cgroup-list.h"

#include <cerrno>
#include <initializer_list>

#include "fsutil.h"
#include "json.h"

namespace runts {

namespace {

// The first problem found; later ones are not looked for.
struct Problem {
  std::string text;
  bool operator()(const std::string& field, const std::string& what) {
    if (text.empty()) text = field + " " + what;
    return false;
  }
};

// The members must be exactly those create writes (src/state/contract.ts).
bool exactMembers(const json::Value& obj, const std::string& path, std::initializer_list<const char*> keys, Problem& p) {
  std::string prefix = path.empty() ? "" : path + ".";
  for (const char* key : keys)
    if (!obj.get(key)) return p(prefix + key, "is missing");
  for (const auto& member : obj.members) {
    bool known = false;
    for (const char* key : keys) known = known || member.first == key;
    if (!known) return p(prefix + quoted(member.first), "is not a field runts writes");
  }
  return true;
}

bool readDirs(const json::Value& list, const CgroupLayout& layout, CgroupList& out, Problem& p) {
  if (!list.isArray()) return p("cgroups", "is not an array");
  for (size_t i = 0; i < list.items.size(); i++) {
    const json::Value& item = list.items[i];
    std::string field = "cgroups[" + std::to_string(i) + "]";
    if (!item.isObject()) return p(field, "is not {\"path\": string, \"created\": boolean}");
    if (!exactMembers(item, field, {"path", "created"}, p)) return false;
    const json::Value* path = item.get("path");
    const json::Value* created = item.get("created");
    if (!path->isString()) return p(field + ".path", "is not a string");
    if (created->type != json::Type::Bool) return p(field + ".created", "is not true or false");
    std::string why;
    if (!confinedCgroupDir(layout, path->text, why)) return p(field + ".path " + quoted(path->text), why);
    out.cgroups.push_back(CgroupDir{path->text, created->boolean});
  }
  return true;
}

}  // namespace

std::string cgroupListDamage(const std::string& id, const std::string& text, const CgroupLayout& layout, CgroupList& out) {
  out = CgroupList{};
  json::Value doc;
  std::string err;
  if (!json::parse(text, doc, err)) return "it is not valid JSON (" + err + ")";
  Problem p;
  if (!doc.isObject()) {
    p("the list", "is not a JSON object");
    return p.text;
  }
  bool ok = exactMembers(doc, "", {"version", "id", "cgroups"}, p);
  if (ok) {
    const json::Value* version = doc.get("version");
    const json::Value* listId = doc.get("id");
    if (!version->isNumber() || version->text != "1") ok = p("version", "is not 1");
    else if (!listId->isString()) ok = p("id", "is not a string");
    else if (listId->text != id) ok = p("id " + quoted(listId->text), "is not the container's id");
  }
  ok = ok && readDirs(*doc.get("cgroups"), layout, out, p);
  if (!ok) out = CgroupList{};
  return p.text;
}

std::string addCgroupList(ContainerRecord& rec) {
  std::string path = rec.stateDir + "/cgroups.json";
  std::string text;
  Failure f;
  if (!readRegularFile(path, kMaxCgroupListBytes, true, text, f)) {
    if (f.err == ENOENT) return "";  // a create killed before it wrote the list
    return "cgroup list " + path + " was ignored: it cannot be read (" + f.message() + ")";
  }
  CgroupList list;
  std::string damage = cgroupListDamage(rec.id, text, rec.layout(), list);
  if (!damage.empty()) return "cgroup list " + path + " was ignored: " + damage;
  std::vector<std::string> dirs;
  for (const auto& d : list.cgroups) {
    bool listed = false;
    for (const auto& have : rec.cgroups) listed = listed || have.path == d.path;
    if (!listed) rec.cgroups.push_back(d);
    dirs.push_back(d.path);
  }
  // The files placement.ts would have chosen for these directories, where
  // they exist (a create killed before its mkdir left none).
  DefaultPlacement p = placementOfDirs(rec.layout(), dirs);
  auto present = [](const std::string& file) { return !file.empty() && pathExists(file) ? file : std::string(); };
  if (rec.procsFile.empty()) rec.procsFile = present(p.procsFile);
  if (rec.freezerFile.empty()) rec.freezerFile = present(p.freezerFile);
  if (rec.killFile.empty()) rec.killFile = present(p.killFile);
  return "";
}

}  // namespace runts
