# The seed's steps (Capstan's "Runtime native" page) and the boot-command rules, on the real OSv kernel
# (OSVPS_TEST_OSV, else /var/lib/osvps/test-osv), booted from disk and straight into the kernel. Where no real OSv is
# at hand, each test says it skipped and why.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-OsvTestModulePath) -Force
    $savedRoot = $env:CAPSTAN_ROOT
    $osv = Find-RealOsv
    $limit = 60
    # Programs return from main: exit() would power OSv off and end every command after them.
    function New-SharedProgram([string] $Path, [string] $Source) {
        $c = "$Path.c"
        Set-Content -LiteralPath $c -Value $Source
        & gcc -fPIC -shared -o $Path $c
        if ($LASTEXITCODE) { throw "gcc failed on $c" }
        Remove-Item -LiteralPath $c
    }

    if ($osv.Loader) {
        New-RealOsvRepository (Join-Path $TestDrive 'capstan') $osv | Out-Null
        $work = Join-Path $TestDrive 'work'
        New-Item -ItemType Directory -Force (Join-Path $work 'demo/meta') | Out-Null

        # The seed, as written: echo.c, compiled inside the project, and run.yaml with no default set.
        Set-Content -LiteralPath (Join-Path $work 'echo.c') -Value @'
#include <stdio.h>
int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        printf(i > 1 ? " %s" : "%s", argv[i]);
    printf("\n");
    return 0;
}
'@
        Set-Content -LiteralPath (Join-Path $work 'demo/meta/run.yaml') -Value @'
runtime: native
config_set:
  say_hey:
    bootcmd: /echo.so Hey hey!
'@
        Push-Location $work
        try {
            & gcc -fPIC -shared -o demo/echo.so echo.c
            if ($LASTEXITCODE) { throw 'gcc failed on echo.c' }
            $seed = Build-OsvImage demo
        }
        finally { Pop-Location }

        # The grammar project: show.so prints each argument, later.so waits argv[1] ms, then prints the rest.
        $grammar = Join-Path $TestDrive 'grammar'
        New-Item -ItemType Directory -Force (Join-Path $grammar 'meta') | Out-Null
        Copy-Item -LiteralPath (Join-Path $work 'demo/echo.so') (Join-Path $grammar 'echo.so')
        New-SharedProgram (Join-Path $grammar 'show.so') @'
#include <stdio.h>
int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        printf("arg[%d]=<%s>\n", i, argv[i]);
    return 0;
}
'@
        New-SharedProgram (Join-Path $grammar 'later.so') @'
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
int main(int argc, char **argv)
{
    usleep(atoi(argv[1]) * 1000);
    for (int i = 2; i < argc; i++)
        printf(i > 2 ? " %s" : "%s", argv[i]);
    printf("\n");
    return 0;
}
'@
        Set-Content -LiteralPath (Join-Path $grammar 'meta/run.yaml') -Value @'
runtime: native
config_set:
  bang:
    bootcmd: /show.so Hey hey! a!b !x "q!" wow!! back\!
  envbang:
    bootcmd: --env=GREETING=hi! /show.so $GREETING
  lone:
    bootcmd: /echo.so before the lone bang ! /echo.so after it
  sequence:
    bootcmd: /later.so 1500 first; /echo.so second
  empty:
    bootcmd: /echo.so one;; /echo.so two
  background:
    bootcmd: /later.so 1500 first & /echo.so second
  detached:
    bootcmd: /later.so 1500 detached &! /echo.so now
'@
        $grammarImage = Build-OsvImage $grammar

        # Capstan's test package names hold spaces: one package requires another.
        $helper = Join-Path $TestDrive 'helper'
        New-Item -ItemType Directory -Force (Join-Path $helper 'meta') | Out-Null
        Set-Content -LiteralPath (Join-Path $helper 'meta/package.yaml') -Value "name: Capstan helper`ntitle: Helper package`nauthor: MIKE`n"
        Set-Content -LiteralPath (Join-Path $helper 'meta/run.yaml') -Value "runtime: native`nconfig_set:`n  greet:`n    bootcmd: /echo.so from the helper!`n"
        Copy-Item -LiteralPath (Join-Path $work 'demo/echo.so') (Join-Path $helper 'echo.so')
        Export-OsvPackage $helper | Out-Null
        $tester = Join-Path $TestDrive 'tester'
        New-Item -ItemType Directory -Force (Join-Path $tester 'meta') | Out-Null
        Set-Content -LiteralPath (Join-Path $tester 'meta/package.yaml') -Value @'
name: Capstan tester
title: MPM Test package
author: MIKE
version: 0.23-24-gc60331d
require:
 - Capstan helper
binary:
 app: /usr/bin/app.so
'@
        Set-Content -LiteralPath (Join-Path $tester 'meta/run.yaml') -Value "runtime: native`nconfig_set:`n  default:`n    base: 'Capstan helper:greet'`n"
        $testerImage = Build-OsvImage $tester
    }
}

AfterAll {
    Stop-TestInstances
    $env:CAPSTAN_ROOT = $savedRoot
}

Describe 'The seed and boot commands on the real OSv kernel, booted from <_>' -ForEach 'Disk', 'Kernel' {
    BeforeAll { $mode = $_ }

    It 'prints "Hey hey!" for the seed: Build-OsvImage demo | Start-OsvInstance -Boot say_hey' {
        if (Skip-WithoutOsv $osv) { return }
        $seed.CommandLine | Should -Be ''
        $output = $seed | Start-OsvInstance -Name "seed-$mode" -BootMode $mode -Boot say_hey -Wait -Timeout $limit
        $lines = Get-ConsoleLines $output
        (Get-FinalInstance $output).State | Should -Be 'Stopped' -Because ($lines -join "`n")
        (Get-FinalInstance $output).ExitCode | Should -Be 0
        $lines | Should -Contain 'Hey hey!'
        # Only the program's lines and OSv's usual ones: nothing OsvPS's own -Boot made OSv echo.
        @($lines | Where-Object { $_ -like 'runscript expand*' -or $_ -like '*"hey!"*' }) | Should -BeNullOrEmpty
        Get-OsvInstanceLog "seed-$mode" | Should -Not -Match '^runscript expand'
    }

    It 'refuses to start the seed without -Boot, listing its sets, before QEMU starts' {
        if (Skip-WithoutOsv $osv) { return }
        $name = "seed-noboot-$mode"
        $output = Start-OsvInstance $seed -Name $name -BootMode $mode -Wait -Timeout $limit -ErrorVariable failure -ErrorAction SilentlyContinue
        $output | Should -BeNullOrEmpty
        $failure.Count | Should -Be 1
        $failure[0].FullyQualifiedErrorId | Should -BeLike 'ConfigSetRequired,*'
        $failure[0].Exception.Message | Should -Match '-Boot: say_hey\.'
        Get-OsvInstance $name -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        Test-Path (Join-Path $env:CAPSTAN_ROOT "instances/qemu/$name/console.log") | Should -BeFalse
    }

    It 'passes a "!" inside or at the end of an argument, and in env, to the program' {
        if (Skip-WithoutOsv $osv) { return }
        $output = Start-OsvInstance $grammarImage -Name "bang-$mode" -BootMode $mode -Boot bang, envbang -Wait -Timeout $limit
        $lines = Get-ConsoleLines $output
        (Get-FinalInstance $output).State | Should -Be 'Stopped' -Because ($lines -join "`n")
        $received = $lines | Where-Object { $_ -like 'arg`[*' }
        $received | Should -Be @('arg[1]=<Hey>', 'arg[2]=<hey!>', 'arg[3]=<a!b>', 'arg[4]=<!x>', 'arg[5]=<q!>', 'arg[6]=<wow!!>', 'arg[7]=<back\!>',
            'arg[1]=<hi!>') -Because ($lines -join "`n")
    }

    It 'runs the commands after a lone "!" and after an empty command, in order' {
        if (Skip-WithoutOsv $osv) { return }
        $output = Start-OsvInstance $grammarImage -Name "lone-$mode" -BootMode $mode -Boot lone, empty, sequence -Wait -Timeout $limit
        $lines = Get-ConsoleLines $output
        (Get-FinalInstance $output).State | Should -Be 'Stopped' -Because ($lines -join "`n")
        $printed = $lines | Where-Object { $_ -in 'before the lone bang', 'after it', 'one', 'two', 'first', 'second' }
        $printed | Should -Be @('before the lone bang', 'after it', 'one', 'two', 'first', 'second') -Because ($lines -join "`n")
    }

    It 'runs a command ended by "<Operator>" in the background: the next one prints first' -ForEach @(
        @{ Operator = '&'; Set = 'background'; Expected = @('second', 'first') }
        @{ Operator = '&!'; Set = 'detached'; Expected = @('now', 'detached') }
    ) {
        if (Skip-WithoutOsv $osv) { return }
        $output = Start-OsvInstance $grammarImage -Name "$Set-$mode" -BootMode $mode -Boot $Set -Wait -Timeout $limit
        $lines = Get-ConsoleLines $output
        (Get-FinalInstance $output).State | Should -Be 'Stopped' -Because ($lines -join "`n")
        # OSv v0.57 waits for a C program run with '&!' too: request_termination() does not stop it (loader.cc).
        $lines | Where-Object { $_ -in $Expected } | Should -Be $Expected -Because ($lines -join "`n")
    }

    It 'boots Capstan''s package names with spaces: a project requiring a package' {
        if (Skip-WithoutOsv $osv) { return }
        $testerImage.Name | Should -Be 'Capstan-tester'
        $output = Start-OsvInstance $testerImage -Name "tester-$mode" -BootMode $mode -Wait -Timeout $limit
        $lines = Get-ConsoleLines $output
        (Get-FinalInstance $output).State | Should -Be 'Stopped' -Because ($lines -join "`n")
        $lines | Should -Contain 'from the helper!'
    }
}
