// The profile screen's logic over the real core and a real depot: a mentor edits her mentee's
// name, both phones sync and the mentee sees it; the mentee's own edit reaches the mentor; a name
// the core refuses comes back with the core's typed reason and limit.
package ke.fundi.app.logic

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.Assertions.assertThrows
import uniffi.fundi.FundiException
import uniffi.fundi.ProfileField
import uniffi.fundi.Problem
import uniffi.fundi.Role

class ProfilePresenterTest {

    @Test
    fun aMentorEditsHerMenteesNameAndTheMenteeSeesItAfterBothSync() = withDepot { depot ->
        val akinyi = depot.account("artisan Akinyi").accountId
        val artisan = depot.enrolledPhone("artisan Akinyi", Role.ARTISAN)
        val mentor = depot.enrolledPhone("mentor", Role.MENTOR)
        mentor.sync.syncNow(null)

        // The mentor, from her mentees list.
        val presenter = ProfilePresenter(mentor.sync)
        val shown = presenter.load(menteeId = akinyi)
        assertEquals(akinyi, shown.accountId)
        assertTrue(shown.mentee)
        val saved = presenter.save(shown, shown.values + (ProfileField.DISPLAY_NAME to "Akinyi Atieno"))
        assertEquals(UiText(StringKey.PROFILE_SAVED), saved.message)
        assertEquals(emptyMap<ProfileField, UiText>(), saved.fieldErrors)
        assertEquals("Akinyi Atieno", saved.values[ProfileField.DISPLAY_NAME])
        assertEquals(0u, mentor.sync.syncNow(null).refused, "the depot took the mentor's edit")

        // The mentee's phone, after its sync: her own profile shows the new name.
        artisan.sync.syncNow(null)
        val own = ProfilePresenter(artisan.sync).load()
        assertEquals(akinyi, own.accountId)
        assertEquals("Akinyi Atieno", own.values[ProfileField.DISPLAY_NAME])

        // And her own edit of her place reaches the mentor.
        val placed = ProfilePresenter(artisan.sync).save(own, own.values + (ProfileField.LOCATION to "Kisumu"))
        assertEquals(UiText(StringKey.PROFILE_SAVED), placed.message)
        assertEquals(0u, artisan.sync.syncNow(null).refused)
        mentor.sync.syncNow(null)
        val seen = ProfilePresenter(mentor.sync).load(menteeId = akinyi).values
        assertEquals("Kisumu", seen[ProfileField.LOCATION])
        assertEquals("Akinyi Atieno", seen[ProfileField.DISPLAY_NAME])
        artisan.closeDatabase()
        mentor.closeDatabase()
    }

    @Test
    fun aNameTooLongIsRefusedWithTheCoresReasonAndTheOtherFieldsAreSaved() = withDepot { depot ->
        val akinyi = depot.account("artisan Akinyi").accountId
        val mentor = depot.enrolledPhone("mentor", Role.MENTOR)
        mentor.sync.syncNow(null)
        val presenter = ProfilePresenter(mentor.sync)
        val shown = presenter.load(menteeId = akinyi)
        val long = "A".repeat(500)
        val typed = shown.values + mapOf(ProfileField.DISPLAY_NAME to long, ProfileField.PHONE to "0712 345 678")
        val state = presenter.save(shown, typed)

        // The limit is the core's: the presenter only names the text for it.
        val refusal = assertThrows(FundiException.InvalidProfile::class.java) {
            mentor.sync.setProfile(akinyi, ProfileField.DISPLAY_NAME, long)
        }
        assertEquals(ProfileField.DISPLAY_NAME, refusal.field)
        val max = (refusal.problem as Problem.TooLong).max
        assertTrue(max < 500u)
        assertEquals(mapOf(ProfileField.DISPLAY_NAME to UiText(StringKey.PROFILE_TOO_LONG, max.toLong())), state.fieldErrors)
        assertEquals(UiText(StringKey.FIX_MARKED_FIELDS), state.message)
        assertEquals(long, state.values[ProfileField.DISPLAY_NAME], "what she typed stays, to be fixed")
        assertEquals("0712 345 678", state.values[ProfileField.PHONE], "the valid field was saved")
        assertEquals("0712 345 678", mentor.sync.profile(akinyi)?.phone)
        assertTrue(mentor.sync.profile(akinyi)?.displayName != long)

        // A line break is refused too, with its own reason.
        val broken = assertThrows(FundiException.InvalidProfile::class.java) {
            mentor.sync.setProfile(akinyi, ProfileField.LOCATION, "Kisumu\nWest")
        }
        assertEquals(UiText(StringKey.PROFILE_INVALID_CHARACTERS), profileProblemText(broken.problem))
        mentor.closeDatabase()
    }

    @Test
    fun aPhoneNotEnrolledHasNoProfileToEdit() {
        val phone = tempPhone()
        val state = ProfilePresenter(phone.sync).load()
        assertNull(state.accountId)
        assertEquals(UiText(StringKey.ERROR_NOT_ENROLLED), state.message)
        assertEquals(UiText(StringKey.ERROR_NOT_ENROLLED), ProfilePresenter(phone.sync).save(state, state.values).message)
        phone.closeDatabase()
    }

    /**
     * Her story (several lines) and her consent to show her name and story to shoppers reach the
     * depot; her mentor sees both but cannot answer for her; a story with a tab is refused with
     * the story's own reason (line breaks are fine).
     */
    @Test
    fun herStoryAndHerConsentReachTheDepotAndHerMentorCannotAnswerForHer() = withDepot { depot ->
        val akinyi = depot.account("artisan Akinyi").accountId
        val artisan = depot.enrolledPhone("artisan Akinyi", Role.ARTISAN)
        val mentor = depot.enrolledPhone("mentor", Role.MENTOR)
        artisan.sync.syncNow(null)
        val own = ProfilePresenter(artisan.sync)
        val shown = own.load()
        assertFalse(shown.publish, "never asked: no")
        val story = "Ninasuka vikapu tangu 1998.\nNafundisha wasichana kijijini."
        val saved = own.save(shown, shown.values + (ProfileField.STORY to story), publish = true)
        assertEquals(UiText(StringKey.PROFILE_SAVED), saved.message)
        assertEquals(story, saved.values[ProfileField.STORY])
        assertTrue(saved.publish)
        assertEquals(0u, artisan.sync.syncNow(null).refused, "the depot took her story and her consent")

        val tabbed = own.save(saved, saved.values + (ProfileField.STORY to "a\tb"))
        assertEquals(mapOf(ProfileField.STORY to UiText(StringKey.PROFILE_STORY_INVALID_CHARACTERS)), tabbed.fieldErrors)
        assertEquals(story, artisan.sync.profile(akinyi)?.story, "the refused story was not kept")

        mentor.sync.syncNow(null)
        val hers = ProfilePresenter(mentor.sync).load(menteeId = akinyi)
        assertEquals(story, hers.values[ProfileField.STORY])
        assertTrue(hers.publish)
        val refused = ProfilePresenter(mentor.sync).save(hers, hers.values, publish = false)
        assertEquals(UiText(StringKey.ERROR_NOT_ALLOWED), refused.message)
        assertTrue(refused.publish, "still her answer")
        assertEquals(0u, mentor.sync.pendingCount(), "nothing was queued for her")

        // She withdraws it herself.
        val withdrawn = own.save(own.load(), own.load().values, publish = false)
        assertEquals(UiText(StringKey.PROFILE_SAVED), withdrawn.message)
        assertFalse(withdrawn.publish)
        artisan.closeDatabase()
        mentor.closeDatabase()
    }
}
