// The tus project's reference server for bench/media.py: @tus/server with @tus/file-store.
//
//   node tus_node_server.mjs PORT DIRECTORY
//
// bench/media.py installs both packages (latest from npm) into a temporary folder, copies this
// file beside its node_modules and starts it there: ES modules resolve packages from the
// importing file's own folder, never from NODE_PATH. Uploads go to /files, stored in DIRECTORY.
import { FileStore } from "@tus/file-store";
import { Server } from "@tus/server";

const [port, directory] = process.argv.slice(2);
if (!port || !directory) {
  console.error("usage: node tus_node_server.mjs PORT DIRECTORY");
  process.exit(2);
}

const server = new Server({
  path: "/files",
  datastore: new FileStore({ directory }),
});
server.listen({ host: "127.0.0.1", port: Number(port) }, () => {
  console.log(`tus node server on http://127.0.0.1:${port}/files`);
});

for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => process.exit(0));
}
