// Helpers shared by the Kotlin tests. (Debian's JUnit jar lacks the Kotlin `assertThrows<T>`.)
package fundi.tests

import org.junit.jupiter.api.Assertions.assertThrows

/** Runs [block] and returns the exception it throws, failing unless it is a [T]. */
inline fun <reified T : Throwable> expectThrows(noinline block: () -> Unit): T =
    assertThrows(T::class.java) { block() }
