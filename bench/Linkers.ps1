<#
.SYNOPSIS
    The cost of Linux's dynamic linker against OSv's own, on the real OSv kernel (OSVPS_TEST_OSV, else /var/lib/osvps/test-osv),
    in one run and one image: the same programs are carried both ways (Add-OsvBinary, then Add-OsvBinary
    -LinuxLinker), and only the boot command differs. Three tasks, booted straight into the kernel, median of -Runs:
    the time from Start-OsvInstance to the program's first line, a CPU-bound task (zstd -3 of a file, timed between
    its first and last console lines) and a syscall-heavy one (a program walking a tree with opendir, stat, open,
    read and close; it times itself). The ways alternate run by run; ratios are Linux's linker over OSv's.
.EXAMPLE
    dotnet pwsh ./build.ps1 build; dotnet pwsh ./bench/Linkers.ps1
#>
param([int] $Runs = 7, [int] $DataMiB = 8, [int] $TreeFiles = 2000, [int] $Rounds = 10)
$ErrorActionPreference = 'Stop'
$module = Join-Path $PSScriptRoot '../out/OsvPS'
if (-not (Test-Path (Join-Path $module 'OsvPS.psd1'))) { throw 'build the module first: dotnet pwsh ./build.ps1 build' }
Import-Module (Join-Path $PSScriptRoot '../tests/Pester/TestHelpers.psm1')
Import-Module $module
$osv = Find-RealOsv
if (-not $osv.Loader) { throw "this benchmark needs the real OSv kernel: $($osv.Reason)" }
if (-not (Get-Command zstd -ErrorAction Ignore)) { throw 'zstd is not installed (apt-get install zstd)' }

function Get-Median([double[]] $Values) { $s = $Values | Sort-Object; $s[[int][math]::Floor($s.Count / 2)] }

# One boot: seconds from the start to the first line matching $First, to the first matching $Last, and the lines.
function Measure-Run($Image, [string] $Command, [string] $First, [string] $Last) {
    $watch = [Diagnostics.Stopwatch]::StartNew()
    $seen = @{}
    $lines = [Collections.Generic.List[string]]::new()
    Start-OsvInstance $Image -Name bench-linkers -BootMode Kernel -CommandLine $Command -Wait -Timeout 300 -WarningAction SilentlyContinue |
        Where-Object { $_ -is [string] } | ForEach-Object {
            $lines.Add($_)
            if (-not $seen.First -and $_ -match $First) { $seen.First = $watch.Elapsed.TotalSeconds }
            if (-not $seen.Last -and $_ -match $Last) { $seen.Last = $watch.Elapsed.TotalSeconds }
        }
    if (-not $seen.First -or -not $seen.Last) { throw "'$Command' did not print /$First/ and /$Last/:`n$($lines -join "`n")" }
    [pscustomobject]@{ First = $seen.First; Last = $seen.Last; Lines = $lines }
}

$work = Join-Path ([IO.Path]::GetTempPath()) "osvps-bench-linkers-$PID"
$saved = $env:CAPSTAN_ROOT
try {
    New-Item -ItemType Directory -Force $work | Out-Null
    New-RealOsvRepository (Join-Path $work 'capstan') $osv | Out-Null
    $src = Join-Path $work 'src'
    New-Item -ItemType Directory $src | Out-Null
    Set-Content (Join-Path $src 'hello.c') "#include <stdio.h>`nint main(void) { puts(`"hello from the program`"); return 0; }"
    Set-Content (Join-Path $src 'walk.c') @'
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
static long files, bytes;
static void walk(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char path[4096], buf[4096];
    struct stat st;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (stat(path, &st)) continue;
        if (S_ISDIR(st.st_mode)) { walk(path); continue; }
        int fd = open(path, O_RDONLY);
        ssize_t n;
        while ((n = read(fd, buf, sizeof buf)) > 0) bytes += n;
        close(fd);
        files++;
    }
    closedir(d);
}
int main(int argc, char **argv) {
    int rounds = atoi(argv[2]);
    struct timespec a, b;
    puts("walk start");
    fflush(stdout);
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 0; i < rounds; i++) walk(argv[1]);
    clock_gettime(CLOCK_MONOTONIC, &b);
    printf("walked %ld files, %ld bytes in %.1f ms\n", files, bytes, (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6);
    return 0;
}
'@
    foreach ($name in 'hello', 'walk') {
        & gcc -O2 -fPIE -pie -o (Join-Path $src $name) (Join-Path $src "$name.c")
        if ($LASTEXITCODE) { throw "gcc failed on $name.c" }
    }

    $project = Join-Path $work 'linkers'
    New-OsvProject $project -BootCommand '/hello' | Out-Null
    # Compressible data (words), and a tree of small files.
    $random = [Random]::new(7)
    $words = 'osv', 'unikernel', 'linker', 'glibc', 'relocation', 'symbol', 'kernel', 'program', 'image', 'qemu'
    $text = [Text.StringBuilder]::new()
    while ($text.Length -lt $DataMiB * 1MB) { [void]$text.Append($words[$random.Next($words.Count)]).Append(' ').Append($random.Next(100000)).Append("`n") }
    [IO.File]::WriteAllText((Join-Path $project 'data.bin'), $text.ToString(0, $DataMiB * 1MB))
    $perFolder = 50
    for ($i = 0; $i -lt $TreeFiles; $i++) {
        $folder = Join-Path $project ("tree/d{0:D3}" -f [int][math]::Floor($i / $perFolder))
        if ($i % $perFolder -eq 0) { New-Item -ItemType Directory -Force $folder | Out-Null }
        [IO.File]::WriteAllText((Join-Path $folder "f$i.txt"), ('x' * (500 + $i % 1000)))
    }
    $programs = (Join-Path $src 'hello'), (Join-Path $src 'walk'), (Get-Command zstd).Source
    Add-OsvBinary $programs -Project $project -WarningAction SilentlyContinue | Out-Null
    $linux = @{}
    Add-OsvBinary $programs -Project $project -LinuxLinker -WarningAction SilentlyContinue | Where-Object BootCommand |
        ForEach-Object { $linux[(Split-Path -Leaf $_.SourcePath)] = $_.BootCommand }
    $image = Build-OsvImage $project -Name bench-linkers -Force

    $tasks = @(
        @{ Task = 'boot to the program''s line'; Program = 'hello'; Arguments = ''; First = '^hello from the program'; Last = '^hello from the program'; Span = 'First' }
        @{ Task = "CPU: zstd -3 of $DataMiB MiB"; Program = 'zstd'; Arguments = '-v -3 -f /data.bin -o /tmp/data.zst'; First = 'Zstandard CLI'; Last = 'data\.bin\s*:'; Span = 'Between' }
        @{ Task = "syscalls: walk $TreeFiles files x $Rounds"; Program = 'walk'; Arguments = "/tree $Rounds"; First = '^walk start'; Last = '^walked'; Span = 'Self' }
    )
    # The two ways alternate run by run, so that a change of the machine's load falls on both alike.
    $rows = foreach ($task in $tasks) {
        $values = @{ OsvLinker = [Collections.Generic.List[double]]::new(); LinuxLinker = [Collections.Generic.List[double]]::new() }
        foreach ($run in 1..$Runs) {
            foreach ($way in 'OsvLinker', 'LinuxLinker') {
                $command = if ($way -eq 'LinuxLinker') { "$($linux[$task.Program]) $($task.Arguments)" } else { "/$($task.Program) $($task.Arguments)" }
                $m = Measure-Run $image $command.Trim() $task.First $task.Last
                $values[$way].Add($(switch ($task.Span) {
                    'First' { $m.First }
                    'Between' { $m.Last - $m.First }
                    'Self' { [double](($m.Lines -match '^walked' | Select-Object -First 1) -replace '.* in ([\d.]+) ms.*', '$1') / 1000 }
                }))
            }
        }
        $osvLinker = Get-Median $values.OsvLinker
        $linuxLinker = Get-Median $values.LinuxLinker
        # The best runs too: on a busy machine they are the figures least disturbed by others.
        $osvBest = ($values.OsvLinker | Measure-Object -Minimum).Minimum
        $linuxBest = ($values.LinuxLinker | Measure-Object -Minimum).Minimum
        [pscustomobject]@{
            Task                    = $task.Task
            'OSv linker (s)'        = [math]::Round($osvLinker, 3)
            'Linux linker (s)'      = [math]::Round($linuxLinker, 3)
            'Linux / OSv'           = [math]::Round($linuxLinker / $osvLinker, 2)
            'best OSv (s)'          = [math]::Round($osvBest, 3)
            'best Linux (s)'        = [math]::Round($linuxBest, 3)
            'best Linux / best OSv' = [math]::Round($linuxBest / $osvBest, 2)
        }
    }
    $size = (Get-Item $image.Path).Length
    "Medians and bests of $Runs runs each, booted straight into the kernel ($((Get-OsvInstance bench-linkers).Accelerator)), one image of $([math]::Round($size / 1MB, 1)) MiB holding both layouts:"
    "  OSv's linker:   /<program> ...      Linux's linker: $($linux['hello'] -replace '/hello$', '/<program>') ..."
    $rows | Format-Table -AutoSize | Out-String -Width 200
}
finally {
    Stop-TestInstances
    $env:CAPSTAN_ROOT = $saved
    Remove-Item -Recurse -Force $work -ErrorAction Ignore
}
