// A profile's screen: an artisan's own display name, location, phone and her story for
// shoppers, and her consent to show her name and story beside her products; or, for a mentor,
// a mentee's (her consent shown, not asked: only she gives it). The core holds the profile (as
// last synced plus local edits) and every rule: which text a field takes (its length, control
// characters; a story keeps its line breaks) and who may change what; it answers a refused
// field with FundiException.InvalidProfile naming the field and the problem. Saving sends only
// what changed; each goes to the depot at the next sync. Calls block on the database: call
// them from the worker thread.
package ke.fundi.app.logic

import uniffi.fundi.FundiException
import uniffi.fundi.ProfileField
import uniffi.fundi.ProfileRecord
import uniffi.fundi.Problem
import uniffi.fundi.SyncServiceInterface

/**
 * What the profile screen shows: whose profile (`accountId`; `mentee` when a mentor edits a
 * mentee's), the fields' texts, her consent to publish her name and story (`publish`), a
 * message per refused field, and a screen-level message (saved, or why nothing could be read or
 * saved).
 */
data class ProfileState(
    val accountId: String?,
    val mentee: Boolean,
    val values: Map<ProfileField, String>,
    val publish: Boolean = false,
    val fieldErrors: Map<ProfileField, UiText> = emptyMap(),
    val message: UiText? = null,
)

/**
 * The text for one refused field (shown under it, so the field's name is not repeated). A story
 * may hold line breaks, so its "invalid characters" says so.
 */
fun profileProblemText(problem: Problem, field: ProfileField? = null): UiText = when (problem) {
    is Problem.TooLong -> UiText(StringKey.PROFILE_TOO_LONG, problem.max.toLong())
    is Problem.InvalidCharacters ->
        UiText(if (field == ProfileField.STORY) StringKey.PROFILE_STORY_INVALID_CHARACTERS else StringKey.PROFILE_INVALID_CHARACTERS)
    is Problem.Required -> UiText(StringKey.PROFILE_REQUIRED)
    // Not rules of a text field today; a newer core may add them: a plain "check this field".
    is Problem.TooMany, is Problem.TooSmall, is Problem.TooLarge -> UiText(StringKey.PROFILE_CHECK_FIELD)
}

/** The fields' texts from the core's record (empty for a field never set). */
private fun valuesOf(record: ProfileRecord?): Map<ProfileField, String> = linkedMapOf(
    ProfileField.DISPLAY_NAME to (record?.displayName ?: ""),
    ProfileField.LOCATION to (record?.location ?: ""),
    ProfileField.PHONE to (record?.phone ?: ""),
    ProfileField.STORY to (record?.story ?: ""),
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
            val record = sync.profile(accountId)
            ProfileState(accountId, menteeId != null, valuesOf(record), publish = record?.publish ?: false)
        } catch (e: FundiException) {
            ProfileState(accountId, menteeId != null, valuesOf(null), message = errorText(e))
        }
    }

    /**
     * Save what changed in [typed] (the fields as the user left them) and in [publish] (her
     * consent, as the switch is left; a mentor's screen does not offer it). Fields the core
     * accepts are kept even when another is refused; a refused one keeps what was typed, with
     * its message.
     */
    fun save(shown: ProfileState, typed: Map<ProfileField, String>, publish: Boolean = shown.publish): ProfileState {
        val accountId = shown.accountId ?: return shown.copy(message = UiText(StringKey.ERROR_NOT_ENROLLED))
        val record = try {
            sync.profile(accountId)
        } catch (e: FundiException) {
            return shown.copy(values = typed, message = errorText(e))
        }
        val stored = valuesOf(record)
        val errors = LinkedHashMap<ProfileField, UiText>()
        var message: UiText? = null
        for (field in ProfileField.entries) {
            val value = typed[field] ?: continue
            if (value == stored[field]) continue
            try {
                sync.setProfile(accountId, field, value)
            } catch (e: FundiException.InvalidProfile) {
                errors[e.field] = profileProblemText(e.problem, e.field)
            } catch (e: FundiException) {
                message = errorText(e)
                break
            }
        }
        if (message == null && publish != (record?.publish ?: false)) {
            try {
                sync.setProfilePublish(accountId, publish)
            } catch (e: FundiException) {
                message = errorText(e)
            }
        }
        val after = try {
            sync.profile(accountId)
        } catch (e: FundiException) {
            record
        }
        // A refused field keeps what was typed (to fix it), the others show what is now stored.
        val values = valuesOf(after).mapValues { (field, v) -> if (field in errors) typed[field] ?: v else v }
        val outcome = message ?: if (errors.isEmpty()) UiText(StringKey.PROFILE_SAVED) else UiText(StringKey.FIX_MARKED_FIELDS)
        return ProfileState(accountId, shown.mentee, values, after?.publish ?: false, errors, outcome)
    }
}
