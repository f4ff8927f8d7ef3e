// A real depot for the JVM tests: the `fundi-depot` binary cargo built next to libfundi_ffi.so,
// started with `serve --demo` on 127.0.0.1 (a free port) over a temporary data directory, and
// stopped after the test. It serves TLS with its own new key; phones pin that key when they
// enroll (the enrollment's key exchange binds the code to it), so nothing is configured here.
package ke.fundi.app.logic

import java.io.BufferedReader
import java.io.File
import java.io.InputStreamReader
import java.nio.file.Files
import java.util.concurrent.LinkedBlockingQueue
import java.util.concurrent.TimeUnit
import uniffi.fundi.Role

/** One demo account as `serve --demo` printed it: who, its account id and one-time code. */
data class DemoAccount(val who: String, val accountId: String, val code: String)

class DepotProcess private constructor(
    private val process: Process,
    private val dataDir: File,
    /** `https://127.0.0.1:PORT`, as the depot printed it. */
    val url: String,
    /** The depot key's short fingerprint line ("depot key ..."), as printed. */
    val keyLine: String,
    /** The demo accounts by `who` ("operations", "mentor", "staff", "artisan Akinyi", "artisan Baraka"). */
    val accounts: Map<String, DemoAccount>,
) : AutoCloseable {

    fun account(who: String): DemoAccount = accounts[who] ?: error("no demo account '$who' in ${accounts.keys}")

    /** A fresh phone in its own temporary directory, enrolled at this depot with `who`'s code. */
    fun enrolledPhone(who: String, expectedRole: Role): TestPhone {
        val phone = tempPhone()
        val enrollment = phone.phone.sync().enrollDevice(url, account(who).code)
        check(enrollment.role == expectedRole) { "$who enrolled as ${enrollment.role}, expected $expectedRole" }
        return phone
    }

    /**
     * Import orders as operations would (`fundi-depot import-orders`, a JSON array of
     * `{source, external_ref, product, quantity, price_minor, artisan_id?, due_date?}`) into this
     * depot while it serves (its SQLite file takes a second writer).
     */
    fun importOrders(json: String) {
        val file = File(dataDir, "import-${System.nanoTime()}.json")
        file.writeText(json)
        val run = ProcessBuilder(binary().path, "import-orders", file.path, "--data-dir", dataDir.path)
            .redirectErrorStream(true).start()
        val out = run.inputStream.bufferedReader().readText()
        check(run.waitFor(60, TimeUnit.SECONDS) && run.exitValue() == 0) { "import-orders failed: $out" }
    }

    /** Stop the depot (SIGTERM: it finishes open requests and closes its store) and delete its data. */
    override fun close() {
        process.destroy()
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly()
            process.waitFor(5, TimeUnit.SECONDS)
        }
        dataDir.deleteRecursively()
    }

    companion object {
        /** The depot binary: next to the library JNA loads (cargo puts both in target/debug). */
        fun binary(): File {
            val dirs = listOfNotNull(
                System.getProperty("jna.library.path"),
                System.getenv("CARGO_TARGET_DIR")?.let { "$it/debug" },
            )
            return dirs.map { File(it, "fundi-depot") }.firstOrNull { it.canExecute() }
                ?: error("fundi-depot not found in $dirs: build it with `cargo build --workspace`")
        }

        private val DEMO_LINE = Regex("""^demo: (.+?)\s+account (\S+) enrollment code (\S+)$""")
        private val LISTENING = Regex("""^listening on (https://\S+)$""")

        /** Start `fundi-depot serve --demo`; returns once it listens (or fails within 60 s). */
        fun start(): DepotProcess {
            val dataDir = Files.createTempDirectory("fundi-depot-test").toFile()
            val process = ProcessBuilder(
                binary().path, "serve", "--demo",
                "--data-dir", dataDir.path,
                "--listen", "127.0.0.1:0",
            ).redirectError(ProcessBuilder.Redirect.INHERIT).start()
            // Lines are read on their own thread so that a silent depot cannot hang the test.
            val lines = LinkedBlockingQueue<String>()
            val reader = Thread {
                BufferedReader(InputStreamReader(process.inputStream)).use { r ->
                    while (true) lines.put(r.readLine() ?: break)
                }
                lines.put(EOF)
            }
            reader.isDaemon = true
            reader.start()

            val accounts = LinkedHashMap<String, DemoAccount>()
            var url: String? = null
            val deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60)
            try {
                while (true) {
                    val left = deadline - System.nanoTime()
                    val line = lines.poll(left.coerceAtLeast(0), TimeUnit.NANOSECONDS)
                        ?: error("the depot printed no address within 60 s")
                    check(line != EOF) { "the depot stopped before listening (exit ${process.waitFor()})" }
                    DEMO_LINE.find(line)?.let { m ->
                        val (who, account, code) = m.destructured
                        accounts[who.trim()] = DemoAccount(who.trim(), account, code)
                    }
                    if (url == null) url = LISTENING.find(line)?.groupValues?.get(1)
                    if (url != null && line.startsWith("depot key ")) {
                        check(accounts.isNotEmpty()) { "the depot listed no demo accounts" }
                        return DepotProcess(process, dataDir, url, line, accounts)
                    }
                }
            } catch (e: Throwable) {
                process.destroyForcibly()
                dataDir.deleteRecursively()
                throw e
            }
        }

        private const val EOF = "\u0000eof"
    }
}

/** Run [body] with a fresh demo depot, stopped afterwards whatever happens. */
fun <T> withDepot(body: (DepotProcess) -> T): T = DepotProcess.start().use(body)

