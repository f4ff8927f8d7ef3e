// The app module. Two tasks join it to the Rust workspace one directory up:
//   cargoNdkBuild  builds libfundi_ffi.so for each ABI with cargo-ndk (needs the NDK and
//                  `cargo install cargo-ndk`, `rustup target add aarch64-linux-android armv7-linux-androideabi`);
//   uniffiBindgen  generates the Kotlin bindings from that exact .so into build/generated
//                  (the bindings check API checksums at load, so they must come from the .so shipped).
// Generated Kotlin is never committed. On machines without the Android SDK the same sources are
// checked by scripts/android/check instead.
import org.gradle.api.tasks.Exec

plugins {
    id("com.android.application")
    id("org.jetbrains.kotlin.android")
}

val repoRoot: File = rootProject.projectDir.parentFile
val rustJniLibs: File = layout.buildDirectory.get().asFile.resolve("rustJniLibs")
val uniffiOut: File = layout.buildDirectory.get().asFile.resolve("generated/source/uniffi/main")
val abis = listOf("arm64-v8a", "armeabi-v7a")

val cargoNdkBuild by tasks.registering(Exec::class) {
    description = "Builds libfundi_ffi.so for ${abis.joinToString()} with cargo-ndk."
    workingDir = repoRoot
    inputs.files(fileTree(File(repoRoot, "core/src")), fileTree(File(repoRoot, "bindings/src")))
    inputs.files(File(repoRoot, "Cargo.lock"), File(repoRoot, "core/Cargo.toml"), File(repoRoot, "bindings/Cargo.toml"))
    outputs.dir(rustJniLibs)
    val args = mutableListOf("cargo", "ndk", "--platform", "26")
    abis.forEach { args += listOf("-t", it) }
    args += listOf("-o", rustJniLibs.path, "build", "-p", "fundi-ffi", "--release")
    commandLine(args)
}

val uniffiBindgen by tasks.registering(Exec::class) {
    description = "Generates the Kotlin bindings from the arm64-v8a libfundi_ffi.so just built."
    dependsOn(cargoNdkBuild)
    workingDir = repoRoot
    val so = rustJniLibs.resolve("arm64-v8a/libfundi_ffi.so")
    inputs.file(so)
    outputs.dir(uniffiOut)
    doFirst { delete(uniffiOut) }
    commandLine(
        "cargo", "run", "-q", "-p", "fundi-ffi", "--bin", "uniffi-bindgen", "--",
        "generate", so.path, "--language", "kotlin", "--no-format",
        "--out-dir", uniffiOut.path,
    )
}

val cargoBuildHost by tasks.registering(Exec::class) {
    description = "Builds the host libfundi_ffi.so that the JVM unit tests load."
    workingDir = repoRoot
    commandLine("cargo", "build", "-p", "fundi-ffi")
}

android {
    namespace = "ke.fundi.app"
    compileSdk = 34

    defaultConfig {
        applicationId = "ke.fundi.app"
        minSdk = 26
        targetSdk = 34
        versionCode = 1
        versionName = "0.1.0"
    }

    // One APK per ABI: budget phones download only their own native library.
    splits {
        abi {
            isEnable = true
            reset()
            include(*abis.toTypedArray())
            isUniversalApk = false
        }
    }

    buildTypes {
        release {
            isMinifyEnabled = true
            isShrinkResources = true
            proguardFiles(getDefaultProguardFile("proguard-android-optimize.txt"), "proguard-rules.pro")
        }
    }

    sourceSets {
        getByName("main") {
            java.srcDir(uniffiOut)
            jniLibs.srcDir(rustJniLibs)
        }
        getByName("test") {
            java.srcDir("src/test/kotlin")
        }
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
    kotlinOptions {
        jvmTarget = "17"
    }

    testOptions {
        unitTests.all {
            it.useJUnitPlatform()
            // The JVM tests load the host build of the Rust library through JNA.
            val cargoTarget = System.getenv("CARGO_TARGET_DIR")?.let(::File) ?: File(repoRoot, "target")
            it.systemProperty("jna.library.path", File(cargoTarget, "debug").path)
            it.systemProperty("fundi.res.dir", file("src/main/res").path)
            it.dependsOn(cargoBuildHost)
        }
    }
}

tasks.named("preBuild") { dependsOn(uniffiBindgen) }

dependencies {
    // JNA's Android archive: the classes plus libjnidispatch.so for every ABI.
    implementation("net.java.dev.jna:jna:5.14.0@aar")

    // Host JVM tests (src/test/kotlin): the plain JNA jar carries the desktop libjnidispatch.
    testImplementation("net.java.dev.jna:jna:5.14.0")
    testImplementation("org.junit.jupiter:junit-jupiter:5.10.2")
    testRuntimeOnly("org.junit.platform:junit-platform-launcher:1.10.2")
}
