// A profile's screen: an artisan's own display name, location and phone, or, for a mentor, a
// mentee's. The core holds the profile (as last synced plus local edits) and every rule: which
// text a field takes (its length, no control characters) and who may change it; it answers a
// refused field with FundiException.InvalidProfile naming the field and the problem. Saving
// sends only the fields that changed; each goes to the depot at the next sync. Calls block on
// the database: call them from the worker thread.
package ke.fundi.app.logic

import uniffi.fundi.FundiException
import uniffi.fundi.ProfileField
import uniffi.fundi.ProfileRecord
import uniffi.fundi.Problem
import uniffi.fundi.SyncServiceInterface

/**
 * What the profile screen shows: whose profile (`accountId`; `mentee` when a mentor edits a
 * mentee's), the fields' texts, a message per refused field, and a screen-level message (saved,
 * or why nothing could be read or saved).
 */
data class ProfileState(
    val accountId: String?,
    val mentee: Boolean,
    val values: Map<ProfileField, String>,
    val fieldErrors: Map<ProfileField, UiText> = emptyMap(),
    val message: UiText? = null,
)

/** The text for one refused field (shown under it, so the field's name is not repeated). */
fun profileProblemText(problem: Problem): UiText = when (problem) {
    is Problem.TooLong -> UiText(StringKey.PROFILE_TOO_LONG, problem.max.toLong())
    is Problem.InvalidCharacters -> UiText(StringKey.PROFILE_INVALID_CHARACTERS)
    is Problem.Required -> UiText(StringKey.PROFILE_REQUIRED)
    // Not rules of a text field today; a newer core may add them: a plain "check this field".
    is Problem.TooMany, is Problem.TooSmall, is Problem.TooLarge -> UiText(StringKey.PROFILE_CHECK_FIELD)
}

/** The fields' texts from the core's record (empty for a field never set). */
private fun valuesOf(record: ProfileRecord?): Map<ProfileField, String> = linkedMapOf(
    ProfileField.DISPLAY_NAME to (record?.displayName ?: ""),
    ProfileField.LOCATION to (record?.location ?: ""),
    ProfileField.PHONE to (record?.phone ?: ""),
)

class ProfilePresenter(private val sync: SyncServiceInterface) {

    /**
     * The profile of [menteeId] (a mentor opening a mentee's from her list), or this account's own
     * when null.
     */
    fun load(menteeId: String? = null): ProfileState {
        val accountId = try {
            menteeId ?: sync.syncStatus().accountId
        } catch (e: FundiException) {
            return ProfileState(null, menteeId != null, valuesOf(null), message = errorText(e))
        } ?: return ProfileState(null, false, valuesOf(null), message = UiText(StringKey.ERROR_NOT_ENROLLED))
        return try {
            ProfileState(accountId, menteeId != null, valuesOf(sync.profile(accountId)))
        } catch (e: FundiException) {
            ProfileState(accountId, menteeId != null, valuesOf(null), message = errorText(e))
        }
    }

    /**
     * Save what changed in [typed] (the fields as the user left them). Fields the core accepts are
     * kept even when another is refused; a refused one keeps what was typed, with its message.
     */
    fun save(shown: ProfileState, typed: Map<ProfileField, String>): ProfileState {
        val accountId = shown.accountId ?: return shown.copy(message = UiText(StringKey.ERROR_NOT_ENROLLED))
        val stored = try {
            valuesOf(sync.profile(accountId))
        } catch (e: FundiException) {
            return shown.copy(values = typed, message = errorText(e))
        }
        val errors = LinkedHashMap<ProfileField, UiText>()
        var message: UiText? = null
        for (field in ProfileField.entries) {
            val value = typed[field] ?: continue
            if (value == stored[field]) continue
            try {
                sync.setProfile(accountId, field, value)
            } catch (e: FundiException.InvalidProfile) {
                errors[e.field] = profileProblemText(e.problem)
            } catch (e: FundiException) {
                message = errorText(e)
                break
            }
        }
        val after = try {
            valuesOf(sync.profile(accountId))
        } catch (e: FundiException) {
            stored
        }
        // A refused field keeps what was typed (to fix it), the others show what is now stored.
        val values = after.mapValues { (field, v) -> if (field in errors) typed[field] ?: v else v }
        val outcome = message ?: if (errors.isEmpty()) UiText(StringKey.PROFILE_SAVED) else UiText(StringKey.FIX_MARKED_FIELDS)
        return ProfileState(accountId, shown.mentee, values, errors, outcome)
    }
}
