// The app module, joined to the Rust workspace one directory up by two kinds of task, one of
// each per variant (the reasons are in docs/adr/0014-android-gradle-build.md):
//   uniffiBindgen<Variant>  builds the *host* libfundi_ffi (cargo's own unstripped build in
//                           $CARGO_TARGET_DIR/debug) and the workspace's pinned uniffi-bindgen,
//                           and generates the Kotlin bindings from that library; registered as
//                           generated Kotlin sources. Needs cargo only: no NDK, so the JVM unit
//                           tests (which load that same host library through JNA) run anywhere.
//   cargoNdk<Variant>       builds libfundi_ffi.so for each ABI with cargo-ndk 4 and the NDK
//                           pinned below; registered as generated jniLibs, so only packaging
//                           (assemble/bundle/install) runs it.
// Both always run and let cargo decide what is stale (a change to any Cargo.toml, Cargo.lock,
// build script or source is cargo's to see; cargo answers in a second when nothing changed).
// Paths are explicit: `fundi.cargo` (default ~/.cargo/bin/cargo) and `fundi.cargoTargetDir`
// (default $CARGO_TARGET_DIR, else ../target) from local.properties or a Gradle property; the
// NDK is the one AGP resolves from ndkVersion, handed to cargo-ndk as ANDROID_NDK_HOME.
// Generated Kotlin is never committed. Without the Android SDK, scripts/android/check checks
// the same sources instead (docs/adr/0006).
import com.android.build.api.variant.FilterConfiguration
import java.io.ByteArrayOutputStream
import java.util.Properties
import javax.inject.Inject
import org.jetbrains.kotlin.gradle.dsl.JvmTarget

plugins {
    id("com.android.application")
    id("org.jetbrains.kotlin.android")
}

val repoRoot: File = rootProject.projectDir.parentFile

// local.properties (never committed) first, then -P / gradle.properties.
val localProperties = Properties().apply {
    val file = rootProject.file("local.properties")
    if (file.isFile) file.inputStream().use(::load)
}
fun setting(name: String): String? = localProperties.getProperty(name) ?: findProperty(name)?.toString()

val cargoExecutable: String = setting("fundi.cargo")
    ?: File(System.getProperty("user.home"), ".cargo/bin/cargo").path
val cargoTargetDir: File = (setting("fundi.cargoTargetDir") ?: System.getenv("CARGO_TARGET_DIR"))
    ?.let { File(it).absoluteFile } ?: File(repoRoot, "target")
// cargo names a cdylib as the platform does: libfundi_ffi.so, libfundi_ffi.dylib, fundi_ffi.dll.
val hostLibraryName: String = System.mapLibraryName("fundi_ffi")
val hostExe: String = if (System.getProperty("os.name").startsWith("Windows")) ".exe" else ""

val minSdkLevel = 26
// ABI -> the last digit of its versionCode. arm64 is higher, so a phone that runs both gets
// the 64-bit APK from the store.
val abiDigits = linkedMapOf("armeabi-v7a" to 1, "arm64-v8a" to 2)
val baseVersionCode = 1

/** The host library and uniffi-bindgen (one cargo run), then the Kotlin bindings from it. */
abstract class UniffiBindgen @Inject constructor(private val execOps: ExecOperations) : DefaultTask() {
    @get:Input abstract val cargo: Property<String>
    @get:Internal abstract val workspace: DirectoryProperty
    @get:Internal abstract val targetDir: DirectoryProperty
    @get:Input abstract val libraryName: Property<String>
    @get:Input abstract val exeSuffix: Property<String>
    @get:OutputDirectory abstract val outputDir: DirectoryProperty

    init {
        outputs.upToDateWhen { false } // cargo decides
    }

    @TaskAction
    fun generate() {
        val target = targetDir.get().asFile
        execOps.exec {
            workingDir = workspace.get().asFile
            environment("CARGO_TARGET_DIR", target.path)
            commandLine(cargo.get(), "build", "--locked", "-p", "fundi-ffi", "-p", "fundi-uniffi-bindgen")
        }
        val out = outputDir.get().asFile
        out.deleteRecursively()
        out.mkdirs()
        val debug = File(target, "debug")
        execOps.exec {
            workingDir = workspace.get().asFile
            commandLine(
                File(debug, "uniffi-bindgen" + exeSuffix.get()).path,
                "generate", File(debug, libraryName.get()).path,
                "--language", "kotlin", "--no-format", "--out-dir", out.path,
            )
        }
    }
}

/** libfundi_ffi.so for each ABI with cargo-ndk 4, laid out as jniLibs/<abi>/. */
abstract class CargoNdkBuild @Inject constructor(private val execOps: ExecOperations) : DefaultTask() {
    @get:Input abstract val cargo: Property<String>
    @get:Internal abstract val ndkDirectory: DirectoryProperty
    @get:Internal abstract val workspace: DirectoryProperty
    @get:Internal abstract val targetDir: DirectoryProperty
    @get:Input abstract val abis: ListProperty<String>
    @get:Input abstract val platform: Property<Int>
    @get:Input abstract val release: Property<Boolean>
    @get:OutputDirectory abstract val outputDir: DirectoryProperty

    init {
        outputs.upToDateWhen { false } // cargo decides
    }

    @TaskAction
    fun build() {
        // cargo-ndk 4 changed its flags (-P for the platform) and no longer strips: refuse 3.x.
        val version = ByteArrayOutputStream()
        execOps.exec {
            commandLine(cargo.get(), "ndk", "--version")
            standardOutput = version
            errorOutput = version
            isIgnoreExitValue = true // not installed: said below, with the command to install it
        }
        val major = Regex("""cargo-ndk (\d+)\.""").find(version.toString())?.groupValues?.get(1)
        if (major != "4") {
            throw GradleException(
                "cargo-ndk 4 is needed (found: ${version.toString().trim()}): " +
                    "cargo install cargo-ndk --version 4.1.2 --locked",
            )
        }
        val args = mutableListOf(cargo.get(), "ndk", "--platform", platform.get().toString())
        abis.get().forEach { args += listOf("--target", it) }
        args += listOf("--output-dir", outputDir.get().asFile.path, "build", "-p", "fundi-ffi", "--locked")
        if (release.get()) args += "--release"
        execOps.exec {
            workingDir = workspace.get().asFile
            environment("ANDROID_NDK_HOME", ndkDirectory.get().asFile.path)
            environment("CARGO_TARGET_DIR", targetDir.get().asFile.path)
            commandLine(args)
        }
    }
}

// Release signing from a properties file that is never committed (see android/README.md):
// storeFile, storePassword, keyAlias, keyPassword. Without it, release APKs are unsigned.
val signingFile: File = rootProject.file(setting("fundi.signingProperties") ?: "release-signing.properties")
val releaseSigning: Properties? =
    if (signingFile.isFile) Properties().apply { signingFile.inputStream().use(::load) } else null

android {
    namespace = "ke.fundi.app"
    compileSdk = 35
    // NDK r28c: r28 and later align native libraries for 16 KB pages by default.
    ndkVersion = "28.2.13676358"

    defaultConfig {
        applicationId = "ke.fundi.app"
        minSdk = minSdkLevel
        targetSdk = 35
        versionCode = baseVersionCode
        versionName = "0.1.0"
    }

    // One APK per ABI: budget phones download only their own native library.
    splits {
        abi {
            isEnable = true
            reset()
            include(*abiDigits.keys.toTypedArray())
            isUniversalApk = false
        }
    }

    signingConfigs {
        if (releaseSigning != null) {
            create("release") {
                storeFile = rootProject.file(releaseSigning.getProperty("storeFile"))
                storePassword = releaseSigning.getProperty("storePassword")
                keyAlias = releaseSigning.getProperty("keyAlias")
                keyPassword = releaseSigning.getProperty("keyPassword")
            }
        }
    }

    buildTypes {
        release {
            isMinifyEnabled = true
            isShrinkResources = true
            proguardFiles(getDefaultProguardFile("proguard-android-optimize.txt"), "proguard-rules.pro")
            signingConfig = signingConfigs.findByName("release")
        }
    }

    sourceSets {
        getByName("test") {
            java.srcDir("src/test/kotlin")
        }
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }

    testOptions {
        unitTests.all {
            it.useJUnitPlatform()
            // The JVM tests load the host library the bindings were generated from.
            it.systemProperty("jna.library.path", File(cargoTargetDir, "debug").path)
            it.systemProperty("fundi.res.dir", file("src/main/res").path)
        }
    }
}

kotlin {
    compilerOptions {
        jvmTarget.set(JvmTarget.JVM_17)
    }
}

androidComponents {
    onVariants { variant ->
        val name = variant.name.replaceFirstChar(Char::titlecase)
        val bindings = tasks.register<UniffiBindgen>("uniffiBindgen$name") {
            description = "Generates the Kotlin bindings from the host libfundi_ffi (no NDK)."
            cargo.set(cargoExecutable)
            workspace.set(repoRoot)
            targetDir.set(cargoTargetDir)
            libraryName.set(hostLibraryName)
            exeSuffix.set(hostExe)
        }
        variant.sources.kotlin?.addGeneratedSourceDirectory(bindings, UniffiBindgen::outputDir)

        val native = tasks.register<CargoNdkBuild>("cargoNdk$name") {
            description = "Builds libfundi_ffi.so for ${abiDigits.keys.joinToString()} with cargo-ndk."
            cargo.set(cargoExecutable)
            ndkDirectory.set(androidComponents.sdkComponents.ndkDirectory)
            workspace.set(repoRoot)
            targetDir.set(cargoTargetDir)
            abis.set(abiDigits.keys.toList())
            platform.set(minSdkLevel)
            release.set(variant.buildType == "release")
        }
        variant.sources.jniLibs?.addGeneratedSourceDirectory(native, CargoNdkBuild::outputDir)

        // versionCode per ABI split: 10 * versionCode + the ABI's digit.
        variant.outputs.forEach { output ->
            val abi = output.filters.find { it.filterType == FilterConfiguration.FilterType.ABI }?.identifier
            val digit = abiDigits[abi] ?: 0
            output.versionCode.set(baseVersionCode * 10 + digit)
        }
    }
}

dependencies {
    // JNA's Android archive: the classes plus libjnidispatch.so for every ABI. 5.17.0 is the
    // first whose libjnidispatch.so loads on 16 KB-page devices (JNA issues 1618, 1647).
    implementation("net.java.dev.jna:jna:5.17.0@aar")

    // Host JVM tests (src/test/kotlin): the plain JNA jar carries the desktop libjnidispatch.
    testImplementation("net.java.dev.jna:jna:5.17.0")
    testImplementation("org.junit.jupiter:junit-jupiter:5.10.2")
    testRuntimeOnly("org.junit.platform:junit-platform-launcher:1.10.2")
}
