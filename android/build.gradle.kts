// Versions of the Gradle plugins, applied in app/build.gradle.kts (why these: docs/adr/0014).
//   Android Gradle plugin 8.13.2: needs Gradle 8.13 (gradle/wrapper), JDK 17, SDK Build Tools
//     35; compiles for API levels up to 36; the first 8.x whose R8 reads Kotlin 2.3 metadata.
//   Kotlin plugin 2.3.21: the app's Kotlin language and API version is its major.minor, 2.3.
//     scripts/android/check compiles the same sources with -language-version/-api-version 2.3
//     (KOTLIN_ANDROID_LANGUAGE in scripts/lib/tools.sh), and its check g fails if these part.
plugins {
    id("com.android.application") version "8.13.2" apply false
    id("org.jetbrains.kotlin.android") version "2.3.21" apply false
}
