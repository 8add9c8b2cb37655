# Capstan's java, node and python runtimes on the real OSv kernel (OSVPS_TEST_OSV, else /var/lib/osvps/test-osv): a
# project whose meta/run.yaml says 'runtime: python' (node, java) and 'main', built without its interpreter (the build
# names the command that carries it), then with the interpreter carried from this machine's Debian package, prints its
# line with its arguments, booted from disk and straight into the kernel.
# Each runtime: its Debian package, a tool the test needs to make the program, the program, and whether the interpreter
# starts on Linux's dynamic linker.
BeforeDiscovery {
    $cases = @(
        @{ Runtime = 'python'; Package = 'python3'; Tool = $null; Main = '/hello.py'; Linux = $false
           Make = { param($Project) Set-Content (Join-Path $Project 'hello.py') 'import sys; print("hello from python:", "|".join(sys.argv[1:]))' } }
        @{ Runtime = 'node'; Package = 'nodejs'; Tool = $null; Main = '/app/hello.js'; Linux = $true
           Make = { param($Project) New-Item -ItemType Directory (Join-Path $Project 'app') -Force | Out-Null
                    Set-Content (Join-Path $Project 'app/hello.js') 'console.log("hello from node:", process.argv.slice(2).join("|"));' } }
        @{ Runtime = 'java'; Package = 'openjdk-17-jre-headless'; Tool = 'javac'; Main = 'demo.Hello'; Linux = $true; Classpath = '/classes'
           Make = { param($Project)
                    $src = Join-Path $TestDrive 'java-src'
                    New-Item -ItemType Directory $src -Force | Out-Null
                    Set-Content (Join-Path $src 'Hello.java') 'package demo; public class Hello { public static void main(String[] a) { System.out.println("hello from java: " + String.join("|", a)); } }'
                    & javac -d (Join-Path $Project 'classes') (Join-Path $src 'Hello.java')
                    if ($LASTEXITCODE) { throw 'javac failed' } } }
    )
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-OsvTestModulePath) -Force
    $savedRoot = $env:CAPSTAN_ROOT
    $osv = Find-RealOsv
    if ($osv.Loader) { New-RealOsvRepository (Join-Path $TestDrive 'capstan') $osv | Out-Null }

    # Why a runtime's test cannot run here, or $null.
    function Get-SkipReason([string] $Package, [string] $Tool) {
        if (-not $osv.Loader) { return $osv.Reason }
        if (-not (Test-DebianInstalled $Package)) { return "the Debian package $Package is not installed (apt-get install $Package)" }
        if ($Tool -and -not (Get-Command $Tool -CommandType Application -ErrorAction Ignore)) { return "$Tool is not installed, and the test needs it to make its program" }
        $null
    }

    # The arguments every program prints back, with characters OSv's command grammar gives meaning to.
    $arguments = '"a b"', '"c;d&e!"'
    $expected = 'a b|c;d&e!'

}

AfterAll {
    Stop-TestInstances
    $env:CAPSTAN_ROOT = $savedRoot
}

Describe 'Capstan''s runtimes on the real kernel' {
    Context '<Runtime>' -ForEach $cases {
        BeforeAll {
            $project = Join-Path $TestDrive $Runtime
            $skip = Get-SkipReason $Package $Tool
            if (-not $skip) {
                New-OsvProject $project | Out-Null
                $classpath = if ($Classpath) { "`n    classpath: [$Classpath]" } else { '' }
                Set-Content (Join-Path $project 'meta/run.yaml') "runtime: $Runtime`nconfig_set:`n  default:`n    main: $Main`n    args: [$($arguments -join ', ')]$classpath`n"
                & $Make $project
            }
        }

        It 'refuses to build without the interpreter, naming the command that carries it' {
            if ($skip) { Set-ItResult -Skipped -Because $skip; return }
            Build-OsvImage $project -ErrorVariable failed -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $failed[0].FullyQualifiedErrorId | Should -BeLike 'RuntimeInterpreterMissing,*'
            $failed[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
            $carry = "Add-OsvDebianPackage $Package$(if ($Linux) { ' -LinuxLinker' }) -Project $project"
            $failed[0].Exception.Message | Should -BeLike "*$carry"
        }

        It 'carries the interpreter as the error says and shows the set''s launch' {
            if ($skip) { Set-ItResult -Skipped -Because $skip; return }
            $files = Add-OsvDebianPackage $Package -Project $project -LinuxLinker:$Linux -WarningAction SilentlyContinue
            $files.Count | Should -BeGreaterThan 10
            $set = (Get-OsvProject $project).ConfigSets | Select-Object -First 1
            $set.Launch.Runtime | Should -Be $Runtime
            $set.Launch.Main | Should -Be $Main
            $set.Launch.Args | Should -Be @('a b', 'c;d&e!')
        }

        It 'prints its line with its arguments, booted from <_>' -ForEach 'Disk', 'Kernel' {
            if ($skip) { Set-ItResult -Skipped -Because $skip; return }
            $image = Build-OsvImage $project -Name "$Runtime-runtime"
            $output = Start-OsvInstance $image -Name "$Runtime-$_" -BootMode $_ -Wait -Timeout 240 -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
            $lines = Get-ConsoleLines $output
            $lines | Should -Contain "hello from ${Runtime}: $expected" -Because ($lines -join "`n")
            (Get-FinalInstance $output).State | Should -Be 'Stopped' -Because ($lines -join "`n")
            (Get-FinalInstance $output).ExitCode | Should -Be 0
        }
    }
}
