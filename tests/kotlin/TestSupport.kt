// Helpers shared by the Kotlin tests. (Debian's JUnit jar lacks the Kotlin `assertThrows<T>`.)
package fundi.tests

import org.junit.jupiter.api.Assertions.assertThrows
import java.io.File

/** Runs [block] and returns the exception it throws, failing unless it is a [T]. */
inline fun <reified T : Throwable> expectThrows(noinline block: () -> Unit): T =
    assertThrows(T::class.java) { block() }

/** The fixture photo `name` (fixtures/photos), found above the test classes or the working directory. */
fun fixture(name: String): File {
    val classes = File(Here::class.java.protectionDomain.codeSource.location.toURI())
    val roots = generateSequence(classes.absoluteFile) { it.parentFile } +
        generateSequence(File(System.getProperty("user.dir")).absoluteFile) { it.parentFile } +
        listOfNotNull(System.getenv("FUNDI_ROOT")?.let(::File))
    return roots.map { File(it, "fixtures/photos/$name") }.firstOrNull { it.isFile }
        ?: error("fixture $name not found above ${System.getProperty("user.dir")}")
}

private object Here
