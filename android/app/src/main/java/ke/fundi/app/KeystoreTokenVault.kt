// The device token's vault on the phone: one AES-256 key made and kept by the Android Keystore
// (the framework API, no AndroidX), under a fixed alias; the key never leaves the keystore. The
// sealing itself (AES/GCM/NoPadding, the IV kept with the ciphertext, typed failures) is
// logic/SealedToken.kt, tested on the JVM with a plain key in the keystore's place (ADR 0017).
package ke.fundi.app

import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyProperties
import java.security.KeyStore
import java.security.UnrecoverableKeyException
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import ke.fundi.app.logic.CipherTokenVault
import ke.fundi.app.logic.VaultKeys

/** The vault's key in the Android Keystore. Calls block briefly: the core makes them on the worker. */
class KeystoreKeys : VaultKeys {

    private fun keyStore(): KeyStore = KeyStore.getInstance(PROVIDER).apply { load(null) }

    override fun existing(): SecretKey? = try {
        keyStore().getKey(ALIAS, null) as? SecretKey
    } catch (e: UnrecoverableKeyException) {
        // The keystore holds the alias but cannot give the key back: as good as gone.
        null
    }

    override fun create(): SecretKey {
        val store = keyStore()
        if (store.containsAlias(ALIAS)) store.deleteEntry(ALIAS)
        val spec = KeyGenParameterSpec.Builder(ALIAS, KeyProperties.PURPOSE_ENCRYPT or KeyProperties.PURPOSE_DECRYPT)
            .setBlockModes(KeyProperties.BLOCK_MODE_GCM)
            .setEncryptionPaddings(KeyProperties.ENCRYPTION_PADDING_NONE)
            .setKeySize(256)
            .build()
        // Randomized encryption stays required (the default): the keystore picks every IV.
        val generator = KeyGenerator.getInstance(KeyProperties.KEY_ALGORITHM_AES, PROVIDER)
        generator.init(spec)
        return generator.generateKey()
    }

    companion object {
        private const val PROVIDER = "AndroidKeyStore"
        /** Fixed: one key per app install seals the one device token. */
        const val ALIAS = "fundi.device-token.v1"
    }
}

/** The token vault the app always opens the phone's database with. */
fun keystoreTokenVault(): CipherTokenVault = CipherTokenVault(KeystoreKeys())
