// The token vault's crypto-independent part: AES-GCM with a key that comes from elsewhere (the
// Android Keystore in the app, a plain JCE key in the JVM tests), the sealed bytes' framing
// (a version, the IV, the ciphertext with its tag) and the mapping of every failure to the
// core's typed TokenVaultException. The core calls `seal` and `open` and stores only what
// `seal` returns (ADR 0017). Nothing here touches android.*.
package ke.fundi.app.logic

import java.security.GeneralSecurityException
import java.security.InvalidKeyException
import javax.crypto.AEADBadTagException
import javax.crypto.Cipher
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec
import uniffi.fundi.TokenVault
import uniffi.fundi.TokenVaultException

/** Where the vault's one AES key lives. */
interface VaultKeys {
    /** The key, or null when there is none (never made, or lost with the keystore). */
    fun existing(): SecretKey?

    /** A new key, replacing any old one (whatever it sealed can no longer be opened). */
    fun create(): SecretKey
}

/**
 * The sealed form: `[version][IV length][IV][ciphertext and GCM tag]`. The IV is chosen by the
 * cipher at each seal (the Android Keystore insists on choosing it) and kept with the ciphertext.
 */
object SealedToken {
    const val VERSION: Byte = 1
    const val TAG_BITS = 128
    private const val IV_MIN = 12
    private const val IV_MAX = 16

    fun frame(iv: ByteArray, ciphertext: ByteArray): ByteArray {
        require(iv.size in IV_MIN..IV_MAX) { "GCM IV of ${iv.size} bytes" }
        return byteArrayOf(VERSION, iv.size.toByte()) + iv + ciphertext
    }

    /** The IV and the ciphertext, or Unreadable for bytes this version did not frame. */
    fun unframe(sealed: ByteArray): Pair<ByteArray, ByteArray> {
        if (sealed.size < 2 || sealed[0] != VERSION) throw TokenVaultException.Unreadable()
        val ivLength = sealed[1].toInt()
        if (ivLength !in IV_MIN..IV_MAX || sealed.size < 2 + ivLength + TAG_BITS / 8) throw TokenVaultException.Unreadable()
        return sealed.copyOfRange(2, 2 + ivLength) to sealed.copyOfRange(2 + ivLength, sealed.size)
    }
}

/**
 * A [TokenVault] sealing with AES/GCM/NoPadding under the key [keys] holds. Every failure is
 * one of the core's three: KeyGone (no key, or one the keystore invalidated), Unreadable (bytes
 * that do not open with this key: another key, damaged, another format), Failed (anything else;
 * trying again may work).
 */
class CipherTokenVault(private val keys: VaultKeys) : TokenVault {

    override fun seal(plain: ByteArray): ByteArray = guarded {
        val key = keys.existing() ?: keys.create()
        val cipher = try {
            encryptor(key)
        } catch (e: InvalidKeyException) {
            // The old key was invalidated (KeyPermanentlyInvalidatedException on Android): a new
            // token, sealed now, is the moment to start again with a new key.
            encryptor(keys.create())
        }
        SealedToken.frame(cipher.iv, cipher.doFinal(plain))
    }

    override fun open(sealed: ByteArray): ByteArray = guarded {
        val (iv, ciphertext) = SealedToken.unframe(sealed)
        val key = keys.existing() ?: throw TokenVaultException.KeyGone()
        val cipher = Cipher.getInstance(TRANSFORMATION)
        try {
            cipher.init(Cipher.DECRYPT_MODE, key, GCMParameterSpec(SealedToken.TAG_BITS, iv))
        } catch (e: InvalidKeyException) {
            throw TokenVaultException.KeyGone()
        }
        try {
            cipher.doFinal(ciphertext)
        } catch (e: AEADBadTagException) {
            throw TokenVaultException.Unreadable()
        }
    }

    private fun encryptor(key: SecretKey): Cipher =
        Cipher.getInstance(TRANSFORMATION).apply { init(Cipher.ENCRYPT_MODE, key) }

    /** Typed errors pass; any other exception (a provider's runtime error) is Failed. */
    private fun guarded(work: () -> ByteArray): ByteArray = try {
        work()
    } catch (e: TokenVaultException) {
        throw e
    } catch (e: GeneralSecurityException) {
        throw TokenVaultException.Failed(e.javaClass.simpleName)
    } catch (e: RuntimeException) {
        throw TokenVaultException.Failed(e.javaClass.simpleName)
    }

    companion object {
        const val TRANSFORMATION = "AES/GCM/NoPadding"
    }
}
