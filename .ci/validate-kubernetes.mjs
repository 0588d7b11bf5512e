// Validates every object of a multi-document YAML (stdin) against the Kubernetes API schema with the
// kubernetes-models classes (and KEDA's for keda.sh objects): exit 1 on an unknown kind or an invalid object.
import { parseAllDocuments } from "yaml";

const input = await new Promise((resolve) => { let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => resolve(s)); });
let failed = 0;
for (const document of parseAllDocuments(input)) {
  const object = document.toJSON();
  if (!object) continue;
  const [group, version] = object.apiVersion.includes("/") ? object.apiVersion.split("/") : ["", object.apiVersion];
  const module = group.endsWith("keda.sh")
    ? `@kubernetes-models/keda/${group}/${version}/${object.kind}`
    : `kubernetes-models/${group ? group + "/" : ""}${version}/${object.kind}`;
  const name = `${object.kind} ${object.metadata?.name}`;
  try {
    const Model = (await import(module))[object.kind];
    new Model(object).validate();
    console.log(`valid: ${name} (${object.apiVersion})`);
  } catch (e) {
    failed++;
    console.log(`INVALID: ${name} (${module}): ${e.message}`);
  }
}
if (failed) { console.log(`${failed} invalid object(s)`); process.exit(1); }
