// First run and enrollment: who the user is comes from the enrolled account's role, so the
// launcher asks the core and routes (artisan, mentor; staff and operations get a note that
// their work is in the depot's web console). Until the phone is enrolled, and again after the
// depot refused its credential (revoked, expired), the user types the one-time code here; the
// changes not yet synced stay in the database and their count is shown. Calls block on the
// database or the network: call them from the worker thread.
package ke.fundi.app.logic

import uniffi.fundi.FundiException
import uniffi.fundi.Role
import uniffi.fundi.SyncServiceInterface
import uniffi.fundi.formatEnrollmentCode

/**
 * The demo depot's address: `fundi-depot serve --demo` listens on the developer machine's
 * 127.0.0.1:8080, which the Android emulator reaches as 10.0.2.2. A real depot's address is
 * typed over it (and kept in settings).
 */
const val DEMO_DEPOT_URL = "https://10.0.2.2:8080"

/** Where the launcher sends the user. */
enum class Route {
    /** Not enrolled, or the depot refused this phone's credential: enroll (again). */
    FIRST_RUN,
    ARTISAN_HOME,
    MENTOR_HOME,
    /** Depot staff and operations: their work is in the depot's web console. */
    CONSOLE_NOTE,
}

/** The screen for an enrolled account of [role]. */
fun routeForRole(role: Role): Route = when (role) {
    Role.ARTISAN -> Route.ARTISAN_HOME
    Role.MENTOR -> Route.MENTOR_HOME
    Role.STAFF, Role.OPERATIONS -> Route.CONSOLE_NOTE
}

/** The launcher's choice and, when it cannot even read the database, why. */
data class RouteDecision(val route: Route, val message: UiText? = null)

/**
 * Where to go at launch. [credentialRefused] is what the app remembered from the last sync the
 * depot answered with "unauthorized" (revoked or expired): such a phone enrolls again.
 */
fun decideRoute(sync: SyncServiceInterface, credentialRefused: Boolean): RouteDecision = try {
    val status = sync.syncStatus()
    val role = status.role
    if (!status.enrolled || role == null || credentialRefused) RouteDecision(Route.FIRST_RUN)
    else RouteDecision(routeForRole(role))
} catch (e: FundiException) {
    RouteDecision(Route.FIRST_RUN, errorText(e))
}

/** Which field of the enrollment form a message belongs to. */
enum class EnrollField { CODE, DEPOT }

/**
 * What the enrollment screen shows: the unsynced changes kept from an earlier enrollment (0 on
 * a new phone), a message (with the field it is about), and, once enrolled, where to go.
 */
data class FirstRunState(
    val unsynced: Long = 0,
    val message: UiText? = null,
    val messageField: EnrollField? = null,
    val enrolledAs: Route? = null,
)

class FirstRunPresenter(private val sync: SyncServiceInterface) {

    /** The screen before anything is typed: how many changes wait from an earlier enrollment. */
    fun load(): FirstRunState = try {
        FirstRunState(unsynced = sync.pendingCount().toLong())
    } catch (e: FundiException) {
        FirstRunState(message = errorText(e))
    }

    /** Under the code field while typing: the code as printed, or null while it cannot be one. */
    fun codePreview(typed: String): String? = previewOf(typed)

    companion object {
        /**
         * The core's reading of a typed code (no I/O: fine on the main thread while typing);
         * null while it cannot be a code, or if the library cannot answer at all.
         */
        fun previewOf(typed: String): String? = try {
            formatEnrollmentCode(typed)
        } catch (e: Throwable) {
            null
        }
    }

    /** Exchange the typed code at the typed depot address for this phone's credential. */
    fun enroll(depotUrl: String, typedCode: String): FirstRunState {
        val kept = load().unsynced
        val url = depotUrl.trim()
        if (url.isEmpty()) return FirstRunState(kept, UiText(StringKey.ENROLL_DEPOT_REQUIRED), EnrollField.DEPOT)
        // Checked by the core before the network: a code that cannot be one costs no request.
        val code = formatEnrollmentCode(typedCode)
            ?: return FirstRunState(kept, UiText(StringKey.ENROLL_CODE_SHAPE), EnrollField.CODE)
        return try {
            val enrollment = sync.enrollDevice(url, code)
            FirstRunState(kept, enrolledAs = routeForRole(enrollment.role))
        } catch (e: FundiException) {
            val (text, field) = enrollErrorText(e)
            FirstRunState(kept, text, field)
        }
    }
}

/**
 * An enrollment's failure in the user's terms. A code the depot does not know is "check it"
 * (the depot does not say whether it was mistyped or never issued); once the phone has proved
 * it knows a real code, the depot says whether it was already used or is too old.
 */
fun enrollErrorText(e: FundiException): Pair<UiText, EnrollField?> = when (e) {
    is FundiException.Unauthorized ->
        if (e.reason == "token_expired") UiText(StringKey.ENROLL_CODE_EXPIRED) to EnrollField.CODE
        else UiText(StringKey.ENROLL_CODE_REFUSED) to EnrollField.CODE
    is FundiException.Offline -> UiText(StringKey.ENROLL_NO_DEPOT) to EnrollField.DEPOT
    is FundiException.Depot -> when (e.code) {
        "conflict" -> UiText(StringKey.ENROLL_CODE_USED) to EnrollField.CODE
        "https_required" -> UiText(StringKey.ENROLL_HTTPS_REQUIRED) to EnrollField.DEPOT
        else -> UiText(StringKey.ERROR_DEPOT) to null
    }
    else -> errorText(e) to null
}
