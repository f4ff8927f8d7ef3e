// The Fundi Android app: one module, plain framework Views over the Rust core (see
// docs/adr/0006-android-views-not-compose.md). Open this directory in Android Studio.
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}

dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
    }
}

rootProject.name = "fundi-android"
include(":app")
