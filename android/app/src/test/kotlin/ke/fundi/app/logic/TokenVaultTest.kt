// The device token's vault over the real core: the app's CipherTokenVault (AES-GCM, the IV
// framed with the ciphertext) with a plain JCE key standing in for the Android Keystore's. A
// phone enrolled through it syncs with a real depot, its database file never holds the token
// in clear, and a key that changed or is gone is the typed "enroll again" state with the
// unsynced changes kept.
package ke.fundi.app.logic

import java.io.File
import java.nio.file.Files
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.Assertions.assertThrows
import uniffi.fundi.Category
import uniffi.fundi.CredentialLoss
import uniffi.fundi.FundiException
import uniffi.fundi.FundiPhone
import uniffi.fundi.NewDraft
import uniffi.fundi.Role
import uniffi.fundi.TokenVault
import uniffi.fundi.TokenVaultException

/** The Keystore's stand-in: one AES-256 key in memory, which a test can swap or lose. */
class JceKeys : VaultKeys {
    var key: SecretKey? = null

    override fun existing(): SecretKey? = key

    override fun create(): SecretKey = KeyGenerator.getInstance("AES").apply { init(256) }.generateKey().also { key = it }
}

/** A vault that remembers every plain token the core asked it to seal. */
class Witness(private val inner: TokenVault) : TokenVault {
    val sealed = mutableListOf<ByteArray>()

    override fun seal(plain: ByteArray): ByteArray {
        sealed += plain.copyOf()
        return inner.seal(plain)
    }

    override fun open(sealed: ByteArray): ByteArray = inner.open(sealed)
}

class TokenVaultTest {

    private fun contains(haystack: ByteArray, needle: ByteArray): Boolean =
        (0..haystack.size - needle.size).any { i -> needle.indices.all { haystack[i + it] == needle[it] } }

    /** Every byte of the database and its write-ahead log, as they lie on the disk. */
    private fun fileBytes(db: File): ByteArray =
        listOf("", "-wal", "-journal").map { File(db.path + it) }.filter { it.isFile }.fold(ByteArray(0)) { all, f -> all + f.readBytes() }

    @Test
    fun aTokenSealedThroughTheVaultSyncsAndNeverLiesInTheFileInClear() = withDepot { depot ->
        val keys = JceKeys()
        val vault = Witness(CipherTokenVault(keys))
        val db = Files.createTempDirectory("fundi-vault-test").resolve("phone.db").toFile()
        val phone = FundiPhone.openWithVault(db.path, vault)
        val sync = phone.sync()
        sync.enrollDevice(depot.url, depot.account("artisan Akinyi").code)
        assertEquals(1, vault.sealed.size, "enrollment sealed the token through the vault")
        val token = vault.sealed.single()
        assertTrue(token.size >= 16, "a real token was sealed")

        phone.drafts().createDraft(NewDraft("Kiondo basket", "Sisal", listOf("sisal"), Category.BASKETS, 250_000, 4u))
        val report = sync.syncNow(null)
        assertTrue(report.pushed > 0u, "the sync, with the token opened by the vault, reached the depot")
        assertEquals(0u, sync.syncStatus().pending)

        // With the database open (its log as it is) and after it closed.
        assertFalse(contains(fileBytes(db), token), "the token is in the database file in clear")
        phone.closeDatabase()
        assertFalse(contains(fileBytes(db), token), "the token is in the database file in clear")

        // Opened again with the same key, it goes on syncing.
        val again = FundiPhone.openWithVault(db.path, CipherTokenVault(keys))
        again.sync().syncNow(null)
        again.closeDatabase()
    }

    @Test
    fun aKeyThatChangedOrIsGoneIsEnrollAgainWithTheChangesKept() = withDepot { depot ->
        val keys = JceKeys()
        val db = Files.createTempDirectory("fundi-vault-test").resolve("phone.db").toFile()
        val phone = FundiPhone.openWithVault(db.path, CipherTokenVault(keys))
        val sync = phone.sync()
        sync.enrollDevice(depot.url, depot.account("artisan Akinyi").code)
        phone.drafts().createDraft(NewDraft("Kikapu", "Sisal", listOf("sisal"), Category.BASKETS, 150_000, 2u))
        val pending = sync.syncStatus().pending
        assertTrue(pending > 0u)

        // Another key under the alias (the app's data restored onto another phone, a key made anew).
        keys.create()
        val changed = assertThrows(FundiException.CredentialLost::class.java) { sync.syncNow(null) }
        assertEquals(CredentialLoss.UNREADABLE, changed.reason)
        // The screens send her to enroll again; the background job does not retry in a loop.
        assertEquals(UiText(StringKey.SYNC_CREDENTIAL_LOST) to true, syncFailureText(changed))
        assertEquals(BackgroundOutcome(emptyList(), retry = false), BackgroundSync(sync, null, null, unmetered = true).run())

        // No key at all (the keystore was reset).
        keys.key = null
        val gone = assertThrows(FundiException.CredentialLost::class.java) { sync.syncNow(null) }
        assertEquals(CredentialLoss.KEY_GONE, gone.reason)

        // Nothing waiting was lost, and the launcher still reads the phone.
        assertEquals(pending, sync.syncStatus().pending)
        assertEquals(Route.FIRST_RUN, decideRoute(sync, credentialRefused = true).route)
        assertEquals(pending.toLong(), FirstRunPresenter(sync).load().unsynced)
        phone.closeDatabase()
    }

    @Test
    fun sealingFramesTheIvAndEveryFailureIsTyped() {
        val keys = JceKeys()
        val vault = CipherTokenVault(keys)
        val plain = "tok-0123456789abcdef".toByteArray()
        val one = vault.seal(plain)
        val two = vault.seal(plain)
        assertEquals(SealedToken.VERSION, one[0])
        assertEquals(12, one[1].toInt(), "a 12-byte GCM IV kept with the ciphertext")
        assertNotEquals(one.toList(), two.toList(), "a new IV for every seal")
        assertArrayEquals(plain, vault.open(one))
        assertFalse(contains(one, plain))

        val tampered = one.copyOf().also { it[it.size - 1] = (it[it.size - 1] + 1).toByte() }
        assertThrows(TokenVaultException.Unreadable::class.java) { vault.open(tampered) }
        assertThrows(TokenVaultException.Unreadable::class.java) { vault.open(byteArrayOf(9, 12, 1, 2, 3)) }
        assertThrows(TokenVaultException.Unreadable::class.java) { vault.open(ByteArray(0)) }
        keys.create()
        assertThrows(TokenVaultException.Unreadable::class.java) { vault.open(one) }
        keys.key = null
        assertThrows(TokenVaultException.KeyGone::class.java) { vault.open(two) }
        // Sealing makes a key when there is none.
        assertArrayEquals(plain, vault.open(vault.seal(plain)))
    }

    /** The app never opens the phone without the Keystore vault (`open` keeps tokens unsealed). */
    @Test
    fun theAppOpensThePhoneOnlyWithTheKeystoreVault() {
        val resDir = File(System.getProperty("fundi.res.dir") ?: error("set -Dfundi.res.dir to app/src/main/res"))
        val sources = File(resDir.parentFile, "java").walkTopDown().filter { it.isFile && it.name.endsWith(".kt") }.toList()
        assertTrue(sources.size > 10, "the app's sources were found")
        val plainOpens = sources.filter { Regex("""FundiPhone\s*\.\s*open\s*\(""").containsMatchIn(it.readText()) }
        assertEquals(emptyList<File>(), plainOpens, "FundiPhone.open (no vault) in the app")
        val opens = sources.filter { it.readText().contains("FundiPhone.openWithVault(") }
        assertEquals(listOf("FundiApp.kt"), opens.map { it.name })
        assertTrue(opens.single().readText().contains("openWithVault(File(noBackupFilesDir, \"fundi.db\").path, keystoreTokenVault())"))
    }
}
