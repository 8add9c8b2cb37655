# Shared by the Pester files: where the built module is, and a fresh PowerShell process.

function Get-OsvTestModulePath {
    if (-not $env:OSVPS_TEST_MODULE) { throw 'OSVPS_TEST_MODULE is not set; run the suite through ./build.ps1 test.' }
    $env:OSVPS_TEST_MODULE
}

# Runs a script in a new PowerShell process (the same PowerShell as this one) and returns its output lines.
function Invoke-FreshPwsh([string] $Script) {
    $process = [Environment]::ProcessPath
    [string[]] $prefix = @()
    if ([IO.Path]::GetFileNameWithoutExtension($process) -eq 'dotnet') { $prefix = @(Join-Path $PSHOME 'pwsh.dll') }
    $encoded = [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes($Script))
    & $process @prefix -NoProfile -NonInteractive -EncodedCommand $encoded 2>&1
}

# Network namespaces of the network tests: every bridge, tap, dnsmasq and QEMU of such a test lives in one,
# so nothing touches the host's own network and nothing listens beyond it. New-TestNetNamespace makes one
# (osvps-test-<random>, loopback up); Remove-TestNetNamespace kills, by id, every process still in it, then deletes it.
$script:TestNamespaces = @()
function New-TestNetNamespace {
    $name = 'osvps-test-' + [Guid]::NewGuid().ToString('N').Substring(0, 10)
    & ip netns add $name
    if ($LASTEXITCODE) { throw "ip netns add $name failed" }
    $script:TestNamespaces += @($name)
    & ip netns exec $name ip link set lo up
    $name
}

function Remove-TestNetNamespace([string] $Name) {
    foreach ($id in @(& ip netns pids $Name 2>$null)) {
        try { $p = Get-Process -Id ([int]$id) -ErrorAction Stop; $p.Kill(); $p.WaitForExit(5000) | Out-Null } catch { }
    }
    & ip netns del $Name 2>$null
    $script:TestNamespaces = @($script:TestNamespaces | Where-Object { $_ -ne $Name })
}

function Remove-TestNetNamespaces { foreach ($name in @($script:TestNamespaces)) { Remove-TestNetNamespace $name } }

# Why a network test cannot run here (not root, no ip or dnsmasq), or $null.
function Get-NetworkTestBlocker {
    if ((& id -u) -ne '0') { return 'the network tests make namespaces, bridges and taps: they need root' }
    if (-not (Get-Command ip -ErrorAction Ignore)) { return "iproute2's ip is not installed" }
    if (-not (Get-Command dnsmasq -ErrorAction Ignore) -and -not (Test-Path /usr/sbin/dnsmasq)) { return 'dnsmasq is not installed (apt-get install dnsmasq-base)' }
    $null
}

# Runs a script in a new PowerShell process inside network namespace $Namespace (the environment, CAPSTAN_ROOT and
# OSVPS_TEST_MODULE included, is inherited) and returns its output lines; -Prefix puts a program in front (setpriv ...).
function Invoke-PwshInNamespace([string] $Namespace, [string] $Script, [string[]] $Prefix = @()) {
    $process = [Environment]::ProcessPath
    [string[]] $pwsh = @($process)
    if ([IO.Path]::GetFileNameWithoutExtension($process) -eq 'dotnet') { $pwsh += @(Join-Path $PSHOME 'pwsh.dll') }
    $encoded = [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes($Script))
    $all = @('netns', 'exec', $Namespace) + $Prefix + $pwsh + @('-NoProfile', '-NonInteractive', '-EncodedCommand', $encoded)
    & ip @all 2>&1
}

# Assembles the stand-in OSv loader (tests/fixtures/standin-boot.S) and makes it 1 MiB, the size
# its boot sector declares: bytes 65536..end carry a pattern whose byte sum goes into the word at
# 0x12, which the stand-in checks at boot. -Hang gives the variant that never powers off.
function New-StandInLoader([string] $Path, [switch] $Hang) {
    $source = Join-Path $PSScriptRoot '../fixtures/standin-boot.S'
    $object = "$Path.o"; $binary = "$Path.bin"
    $defsym = if ($Hang) { @('--defsym', 'HANG=1') } else { @() }
    & as --32 @defsym -o $object $source
    if ($LASTEXITCODE) { throw "as failed on $source" }
    & ld -m elf_i386 -Ttext 0x7c00 --oformat binary -o $binary $object
    if ($LASTEXITCODE) { throw "ld failed" }
    $bytes = [IO.File]::ReadAllBytes($binary)
    if ($bytes.Length -ne 512) { throw "the stand-in boot sector is $($bytes.Length) bytes, not 512" }
    $image = [byte[]]::new(1MB)
    [Array]::Copy($bytes, $image, 512)
    [uint16] $sum = 0
    for ($i = 64KB; $i -lt $image.Length; $i++) {
        $image[$i] = [byte](($i * 7 + 3) -band 0xFF)
        $sum = ($sum + $image[$i]) -band 0xFFFF
    }
    $image[0x12] = $sum -band 0xFF
    $image[0x13] = $sum -shr 8
    [IO.File]::WriteAllBytes($Path, $image)
    Remove-Item -LiteralPath $object, $binary
    $Path
}

# A fresh Capstan repository in $Root (CAPSTAN_ROOT points at it) with the stand-in loader as
# osv-loader and a small osv.bootstrap package made with the system's tar.
function New-TestRepository([string] $Root) {
    $env:CAPSTAN_ROOT = $Root
    $loaderDir = Join-Path $Root 'repository/osv-loader'
    New-Item -ItemType Directory -Force -Path $loaderDir, (Join-Path $Root 'packages') | Out-Null
    New-StandInLoader (Join-Path $loaderDir 'osv-loader.qemu') | Out-Null
    $bootstrap = Join-Path $Root 'bootstrap-src'
    New-Item -ItemType Directory -Force -Path (Join-Path $bootstrap 'meta'), (Join-Path $bootstrap 'etc'), (Join-Path $bootstrap 'usr/lib') | Out-Null
    Set-Content -LiteralPath (Join-Path $bootstrap 'meta/package.yaml') -Value "name: osv.bootstrap`ntitle: OSv bootstrap (test)`nauthor: tests`n"
    Set-Content -LiteralPath (Join-Path $bootstrap 'etc/hosts') -Value '127.0.0.1 localhost'
    Set-Content -LiteralPath (Join-Path $bootstrap 'libenviron.so') -Value 'stand-in libenviron'
    Set-Content -LiteralPath (Join-Path $bootstrap 'usr/lib/libgcc_s.so.1') -Value 'stand-in libgcc'
    & tar -czf (Join-Path $Root 'packages/osv.bootstrap.mpm') -C $bootstrap .
    if ($LASTEXITCODE) { throw 'tar failed' }
    Copy-Item (Join-Path $bootstrap 'meta/package.yaml') (Join-Path $Root 'packages/osv.bootstrap.yaml')
    $Root
}

# Assembles the stand-in kernel (tests/fixtures/standin-kernel.S): a PVH ELF that prints its -append line.
function New-StandInKernel([string] $Path) {
    $source = Join-Path $PSScriptRoot '../fixtures/standin-kernel.S'
    & as --32 -o "$Path.o" $source
    if ($LASTEXITCODE) { throw "as failed on $source" }
    & ld -m elf_i386 -Ttext 0x100000 -o $Path "$Path.o"
    if ($LASTEXITCODE) { throw 'ld failed' }
    Remove-Item -LiteralPath "$Path.o"
    $Path
}

# A repository with the stand-in loader, a loader that never powers off ('hang-loader'), and a
# project 'demo' with two config sets; returns the project path.
function New-InstanceTestSetup([string] $Root) {
    New-TestRepository (Join-Path $Root 'capstan') | Out-Null
    $hang = Join-Path $env:CAPSTAN_ROOT 'repository/hang-loader'
    New-Item -ItemType Directory -Force $hang | Out-Null
    New-StandInLoader (Join-Path $hang 'hang-loader.qemu') -Hang | Out-Null
    $demo = Join-Path $Root 'demo'
    New-OsvProject $demo -BootCommand '/hello' | Out-Null
    # Build-OsvImage checks that each config set's program is in the image; the stand-in guest runs none.
    Set-Content -LiteralPath (Join-Path $demo 'hello'), (Join-Path $demo 'echo.so') -Value 'stand-in program'
    Set-Content -LiteralPath (Join-Path $demo 'meta/run.yaml') -Value "runtime: native`nconfig_set:`n  default:`n    bootcmd: /hello`n  say_hey:`n    bootcmd: /echo.so Hey hey!`nconfig_set_default: default`n"
    $demo
}

# Removes every instance of the repository through the module (stopping the running ones), then kills
# what a failed removal left. A Describe whose instances live under its own TestDrive calls this in its
# AfterAll: when the Describe ends, Pester deletes what it made there, the instances' folders included.
function Remove-TestInstances {
    try { Get-OsvInstance | Remove-OsvInstance -Force -Confirm:$false -ErrorAction Continue }
    finally { Stop-TestInstances }
}

# Kills, by its own process id, every QEMU the repository's instances still run (and the shell that
# waits on a background one): each process whose command line names the instances folder.
# The folder need not exist any more: Pester's TestDrive takes what a Describe made under it when that
# Describe ends, instance folders too, while their QEMUs run on.
function Stop-TestInstances {
    if (-not $env:CAPSTAN_ROOT) { return }
    $instances = Join-Path $env:CAPSTAN_ROOT 'instances/qemu'
    $marker = $(if (Test-Path $instances) { (Resolve-Path -LiteralPath $instances).ProviderPath } else { $instances }) + '/'
    foreach ($process in Get-Process -ErrorAction Ignore) {
        $commandLine = Get-Content -LiteralPath "/proc/$($process.Id)/cmdline" -Raw -ErrorAction Ignore
        if ($commandLine -and $process.Id -ne $PID -and $commandLine.Replace([char]0, ' ').Contains($marker)) {
            try { $process.Kill(); $process.WaitForExit(5000) | Out-Null } catch { }
        }
    }
}

# A TCP port nobody listens on now.
function Get-FreePort {
    $listener = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0)
    $listener.Start()
    $port = $listener.LocalEndpoint.Port
    $listener.Stop()
    $port
}

function Test-PortListening([int] $Port) {
    $client = [Net.Sockets.TcpClient]::new()
    try { $client.ConnectAsync('127.0.0.1', $Port).Wait(2000) -and $client.Connected } catch { $false } finally { $client.Dispose() }
}

# A release source on 127.0.0.1 serving files of $Folder: /releases -> releases.json,
# /releases/latest -> latest.json, /releases/tags/T -> tags/T.json, /assets/N -> assets/N.
# Returns @{ Url; Stop }; call .Stop.Invoke() when done.
function Start-TestReleaseServer([string] $Folder) {
    $port = Get-FreePort
    $listener = [Net.HttpListener]::new()
    $listener.Prefixes.Add("http://127.0.0.1:$port/")
    $listener.Start()
    $ps = [powershell]::Create()
    $null = $ps.AddScript({
        param($listener, $folder)
        while ($listener.IsListening) {
            try { $context = $listener.GetContext() } catch { break }
            $path = $context.Request.Url.AbsolutePath
            $file = switch -Regex ($path) {
                '^/releases/?$' { Join-Path $folder 'releases.json' }
                '^/releases/latest$' { Join-Path $folder 'latest.json' }
                '^/releases/tags/(.+)$' { Join-Path $folder "tags/$($Matches[1]).json" }
                '^/assets/(.+)$' { Join-Path $folder "assets/$($Matches[1])" }
                default { $null }
            }
            $response = $context.Response
            if ($file -and (Test-Path -LiteralPath $file)) {
                $bytes = [IO.File]::ReadAllBytes($file)
                $response.StatusCode = 200
                $response.ContentLength64 = $bytes.Length
                $response.OutputStream.Write($bytes, 0, $bytes.Length)
            }
            else { $response.StatusCode = 404 }
            $response.Close()
        }
    }).AddArgument($listener).AddArgument($Folder)
    $null = $ps.BeginInvoke()
    [pscustomobject]@{
        Url  = "http://127.0.0.1:$port/releases"
        Stop = { $listener.Stop(); $ps.Dispose() }.GetNewClosure()
    }
}

# Writes a release (tag, assets from $Assets: name -> path) into a server folder as GitHub's JSON;
# $Digests (name -> 'sha256:...') gives assets the digest GitHub publishes.
function Publish-TestRelease([string] $Folder, [string] $Tag, [hashtable] $Assets, [string] $Url, [switch] $Latest, [hashtable] $Digests = @{}) {
    New-Item -ItemType Directory -Force (Join-Path $Folder 'assets'), (Join-Path $Folder 'tags') | Out-Null
    $list = foreach ($name in $Assets.Keys | Sort-Object) {
        Copy-Item $Assets[$name] (Join-Path $Folder "assets/$name") -Force
        $asset = @{ name = $name; size = (Get-Item $Assets[$name]).Length; browser_download_url = ($Url -replace '/releases$', '/assets/') + $name }
        if ($Digests[$name]) { $asset.digest = $Digests[$name] }
        $asset
    }
    $json = @{ tag_name = $Tag; published_at = '2024-01-02T03:04:05Z'; assets = @($list) } | ConvertTo-Json -Depth 5
    Set-Content -LiteralPath (Join-Path $Folder "tags/$Tag.json") -Value $json
    if ($Latest) { Set-Content -LiteralPath (Join-Path $Folder 'latest.json') -Value $json }
    $all = Get-ChildItem (Join-Path $Folder 'tags') -Filter *.json | ForEach-Object { Get-Content -Raw $_.FullName }
    Set-Content -LiteralPath (Join-Path $Folder 'releases.json') -Value ('[' + ($all -join ',') + ']')
}

# A release source with two releases: v0.57.0 (loader, gzip kernel, osv.bootstrap) and v0.56.0
# (loader only). Returns the server (Url, Stop).
function New-TestReleaseSite([string] $Root) {
    $web = Join-Path $Root 'web'
    $server = Start-TestReleaseServer $web
    $loader = New-StandInLoader (Join-Path $Root 'osv-loader.qemu.x86_64')
    $kernel = New-StandInKernel (Join-Path $Root 'kernel.elf')
    & gzip -c $kernel > (Join-Path $Root 'osv-loader.elf.x86_64.gz')
    $src = Join-Path $Root 'bootstrap-release'
    New-Item -ItemType Directory -Force (Join-Path $src 'meta'), (Join-Path $src 'etc') | Out-Null
    Set-Content (Join-Path $src 'meta/package.yaml') "name: osv.bootstrap`ntitle: OSv bootstrap`nauthor: osv`nversion: v0.57.0`n"
    Set-Content (Join-Path $src 'etc/hosts') '127.0.0.1 from-the-release'
    & tar -czf (Join-Path $Root 'osv.bootstrap.mpm.x86_64') -C $src .
    Publish-TestRelease $web 'v0.57.0' @{
        'osv-loader.qemu.x86_64'   = $loader
        'osv-loader.elf.x86_64.gz' = (Join-Path $Root 'osv-loader.elf.x86_64.gz')
        'osv.bootstrap.mpm.x86_64' = (Join-Path $Root 'osv.bootstrap.mpm.x86_64')
        'osv.bootstrap.yaml'       = (Join-Path $src 'meta/package.yaml')
    } $server.Url -Latest
    Publish-TestRelease $web 'v0.56.0' @{ 'osv-loader.qemu.x86_64' = $loader } $server.Url
    $server
}

# The real OSv build the guest-facing tests run on: OSVPS_TEST_LOADER / OSVPS_TEST_KERNEL /
# OSVPS_TEST_BOOTSTRAP name files, OSVPS_TEST_OSV a folder holding them under OSv's release asset
# names; else /var/lib/osvps/test-osv, the one machine folder the project uses for it (outside every repository:
# the kernel is built on the machine from OSv's sources and never committed). Returns @{ Loader; Kernel; Bootstrap; Reason }:
# Loader is $null (and Reason says why) when there is none, so the tests say why they skip.
function Find-RealOsv {
    $folder = if ($env:OSVPS_TEST_OSV) { $env:OSVPS_TEST_OSV } else { '/var/lib/osvps/test-osv' }
    $pick = { param($variable, $name) if ($variable) { $variable } elseif (Test-Path -LiteralPath (Join-Path $folder $name)) { Join-Path $folder $name } }
    $found = [pscustomobject]@{
        Loader    = & $pick $env:OSVPS_TEST_LOADER 'osv-loader.qemu.x86_64'
        Kernel    = & $pick $env:OSVPS_TEST_KERNEL 'osv-loader.elf.x86_64.gz'
        Bootstrap = & $pick $env:OSVPS_TEST_BOOTSTRAP 'osv.bootstrap.mpm.x86_64'
        Folder    = $folder
        Reason    = $null
    }
    if (-not $found.Loader -or -not $found.Kernel -or -not $found.Bootstrap) {
        $found.Loader = $null
        $found.Reason = "no real OSv build: neither OSVPS_TEST_LOADER/KERNEL/BOOTSTRAP nor a folder with osv-loader.qemu.x86_64, osv-loader.elf.x86_64.gz and osv.bootstrap.mpm.x86_64 at '$folder' (set OSVPS_TEST_OSV)"
    }
    $found
}

# True when this machine's dpkg database lists the Debian package as installed.
function Test-DebianInstalled([string] $Package) { [bool](Get-Item "/var/lib/dpkg/info/$Package.list", "/var/lib/dpkg/info/${Package}:amd64.list" -ErrorAction Ignore) }

# Why a test of the Debian package cannot run here (it is not installed), or $null.
function Get-DebianSkipReason([string] $Package) {
    if (Test-DebianInstalled $Package) { $null } else { "the Debian package $Package is not installed (apt-get install $Package)" }
}

# In an It: skips the test, saying why, when there is no real OSv (the result of Find-RealOsv), and returns
# $true; else $false. Use: if (Skip-WithoutOsv $osv) { return }
function Skip-WithoutOsv($Osv) {
    if (-not $Osv.Loader) { Set-ItResult -Skipped -Because $Osv.Reason; return $true }
    $false
}

# A repository in $Root (CAPSTAN_ROOT points at it) holding the real OSv loader as osv-loader, with
# its kernel ELF attached for direct kernel boot, and the real osv.bootstrap package.
function New-RealOsvRepository([string] $Root, $Osv) {
    $env:CAPSTAN_ROOT = $Root
    New-Item -ItemType Directory -Force (Join-Path $Root 'packages') | Out-Null
    $kernel = Join-Path $Root 'kernel.elf'
    if ($Osv.Kernel -like '*.gz') { & gzip -dc $Osv.Kernel > $kernel } else { Copy-Item -LiteralPath $Osv.Kernel $kernel }
    Import-OsvImage $Osv.Loader -Name osv-loader -Kernel $kernel -Force | Out-Null
    Copy-Item -LiteralPath $Osv.Bootstrap (Join-Path $Root 'packages/osv.bootstrap.mpm')
    Set-Content -LiteralPath (Join-Path $Root 'packages/osv.bootstrap.yaml') -Value "name: osv.bootstrap`ntitle: OSv bootstrap`nauthor: osv`n"
    $Root
}

# A libvirtd answering on qemu:///system, or the reason there is none. Daemons that are installed and
# not running are started here. The libvirtd started here runs QEMU as root: where /dev/kvm exists but
# cannot be used by libvirt's own user (as on these machines), libvirt finds its cached QEMU
# capabilities stale on every call and probes QEMU again, 30 s per define; with root the cache holds.
# That qemu.conf is the daemon's alone (bind-mounted in its own mount namespace), not the host's.
function Start-TestLibvirt {
    if (-not (Test-Path /usr/sbin/libvirtd) -or -not (Get-Command virsh -ErrorAction Ignore)) {
        return 'libvirt is not installed (libvirt-daemon-system, libvirt-clients)'
    }
    if (-not (Get-Process virtlogd -ErrorAction Ignore)) { & /usr/sbin/virtlogd -d; $script:StartedDaemons += @('virtlogd') }
    if (-not (Get-Process libvirtd -ErrorAction Ignore)) {
        $script:StartedDaemons += @('libvirtd')
        $conf = '/run/osvps-test-qemu.conf'
        Copy-Item /etc/libvirt/qemu.conf $conf
        Add-Content -LiteralPath $conf -Value "user = `"+0`"`ngroup = `"+0`""
        & unshare --mount --propagation private sh -c "mount --bind '$conf' /etc/libvirt/qemu.conf && exec /usr/sbin/libvirtd -d"
    }
    foreach ($try in 1..50) {
        & timeout -k 5 10 virsh -c qemu:///system version *> $null
        if ($LASTEXITCODE -eq 0) { return $null }
        Start-Sleep -Milliseconds 200
    }
    'libvirtd does not answer on qemu:///system'
}

# Removes what earlier runs of the libvirt tests left (killed ones included): domains osvps-lv-*, pools
# osvps-test*, their volumes and folders, networks osvps-test-*. Then defines and removes a domain of its own, the call a daemon
# stuck in its QEMU probe never answers: returns the reason to skip when it does not answer in time,
# else $null. Every virsh call here has a deadline.
function Clear-TestLibvirt([string] $Uri, [int] $Seconds = 60) {
    function Bounded { & timeout -k 5 $Seconds virsh -c $Uri @args 2>&1; $script:BoundedExit = $LASTEXITCODE }
    $domains = Bounded list --all --name
    if ($script:BoundedExit -eq 124 -or $script:BoundedExit -eq 137) { return "libvirtd did not list its domains within $Seconds s: it is stuck" }
    foreach ($domain in $domains | ForEach-Object { "$_".Trim() } | Where-Object { $_ -like 'osvps-lv-*' }) {
        Bounded destroy $domain | Out-Null; Bounded undefine $domain | Out-Null
    }
    foreach ($pool in Bounded pool-list --all --name | ForEach-Object { "$_".Trim() } | Where-Object { $_ -like 'osvps-test*' }) {
        foreach ($line in Bounded vol-list $pool) { if ("$line" -match '^\s*(osvps-\S+)') { Bounded vol-delete --pool $pool $Matches[1] | Out-Null } }
        Bounded pool-destroy $pool | Out-Null; Bounded pool-undefine $pool | Out-Null
        Remove-Item -Recurse -Force "/var/lib/libvirt/images/$pool" -ErrorAction Ignore
    }
    # Networks the tests made (osvps-test-*): destroyed (their bridge and dnsmasq go) and undefined.
    foreach ($network in Bounded net-list --all --name | ForEach-Object { "$_".Trim() } | Where-Object { $_ -like 'osvps-test-*' }) {
        Bounded net-destroy $network | Out-Null; Bounded net-undefine $network | Out-Null
    }
    $probe = 'osvps-lv-probe-' + [guid]::NewGuid().ToString('N').Substring(0, 6)
    $xml = Join-Path ([IO.Path]::GetTempPath()) "$probe.xml"
    Set-Content -LiteralPath $xml -Value "<domain type='qemu'><name>$probe</name><memory unit='MiB'>64</memory><os><type arch='x86_64'>hvm</type></os></domain>"
    try {
        $defined = Bounded define $xml
        if ($script:BoundedExit -eq 124 -or $script:BoundedExit -eq 137) { return "libvirtd did not define a test domain within $Seconds s (as when it is stuck probing QEMU's capabilities)" }
        if ($script:BoundedExit -ne 0) { return "libvirtd refused a test domain: $($defined -join ' ')" }
        Bounded undefine $probe | Out-Null
    }
    finally { Remove-Item -LiteralPath $xml -ErrorAction Ignore }
    $null
}

$script:StartedDaemons = @()

# The setup every libvirt test file shares: the real OSv (Find-RealOsv), the URI, a run id naming this run's fixtures
# (domains osvps-lv-<run>-*, pools and networks osvps-test-<run>*, so nothing a killed run left is in the way; what it left
# is removed first, Clear-TestLibvirt), a deadline on every libvirt call, the daemons (Start-TestLibvirt), the virsh program
# (the witness: a test's function named Virsh calling 'virsh' would call itself), and Why: the reason to skip, or $null.
function Initialize-TestLibvirt {
    $run = [guid]::NewGuid().ToString('N').Substring(0, 4)
    # Noted in the run's HOME: a run stopped at its bound before AfterAll ends this run's domains' QEMUs at its end.
    if ($env:HOME) { Add-Content -LiteralPath (Join-Path $env:HOME '.osvps-test-daemons') -Value "libvirt-domains:osvps-lv-$run-" -ErrorAction Ignore }
    # Every libvirt call of these tests, the cmdlets' and virsh's, has a deadline.
    $env:OSVPS_LIBVIRT_TIMEOUT = '60'
    $osv = Find-RealOsv
    $uri = 'qemu:///system'
    $why = if (-not $osv.Loader) { $osv.Reason } else { Start-TestLibvirt }
    if (-not $why) { $why = Clear-TestLibvirt $uri }
    [pscustomobject]@{
        Osv   = $osv
        Uri   = $uri
        Run   = $run
        Pool  = "osvps-test-$run"
        Why   = $why
        Virsh = (Get-Command virsh -CommandType Application -ErrorAction Ignore | Select-Object -First 1).Source
    }
}


# Stops the daemons Start-TestLibvirt started (none it found running), so nothing outlives the run.
function Stop-TestLibvirt {
    foreach ($name in @('libvirtd', 'virtlogd') | Where-Object { $script:StartedDaemons -contains $_ }) {
        foreach ($process in Get-Process $name -ErrorAction Ignore) {
            $process.Kill()
            $process.WaitForExit(10000) | Out-Null
        }
    }
    $script:StartedDaemons = @()
}

# An SSH server on a free loopback port that lets root in with a key made here, so the libvirt tests
# can reach this machine's libvirtd as a remote host (qemu+ssh://). Returns the URI and the sshd's
# pid file, or the reason there is none. Stop it with Stop-TestSsh.
function Start-TestSsh([string] $Folder) {
    if (-not (Test-Path /usr/sbin/sshd)) { return [pscustomobject]@{ Uri = $null; PidFile = $null; Reason = 'openssh-server is not installed' } }
    if (-not (Get-Command virt-ssh-helper -ErrorAction Ignore)) { return [pscustomobject]@{ Uri = $null; PidFile = $null; Reason = 'virt-ssh-helper (libvirt-clients) is not installed' } }
    if ((& id -u) -ne '0') { return [pscustomobject]@{ Uri = $null; PidFile = $null; Reason = 'qemu:///system over SSH needs root' } }
    # An sshd of an earlier run that was killed before it stopped its own is known by its config's name.
    & pkill -f 'sshd -f .*osvps-test-sshd_config' 2>$null
    New-Item -ItemType Directory -Force $Folder | Out-Null
    $key = Join-Path $Folder 'client-key'; $hostKey = Join-Path $Folder 'host-key'
    & ssh-keygen -q -t ed25519 -N '' -f $key
    & ssh-keygen -q -t ed25519 -N '' -f $hostKey
    Copy-Item "$key.pub" (Join-Path $Folder 'authorized_keys')
    $port = Get-FreePort
    $pidFile = Join-Path $Folder 'sshd.pid'
    $config = Join-Path $Folder 'osvps-test-sshd_config'
    Set-Content -LiteralPath $config -Value @(
        "Port $port", 'ListenAddress 127.0.0.1', "HostKey $hostKey", "AuthorizedKeysFile $(Join-Path $Folder 'authorized_keys')",
        'PasswordAuthentication no', 'KbdInteractiveAuthentication no', 'PermitRootLogin prohibit-password', 'StrictModes no', "PidFile $pidFile")
    New-Item -ItemType Directory -Force /run/sshd | Out-Null
    & /usr/sbin/sshd -f $config
    # The run's own HOME keeps a note of it too: a run stopped before its AfterAll (its bound) stops this sshd at its end.
    if ($env:HOME) { Add-Content -LiteralPath (Join-Path $env:HOME '.osvps-test-daemons') -Value $pidFile -ErrorAction Ignore }
    $uri = "qemu+ssh://root@127.0.0.1:$port/system?keyfile=$key&no_verify=1&no_tty=1"
    foreach ($try in 1..50) {
        & timeout -k 5 20 virsh -c $uri version *> $null
        if ($LASTEXITCODE -eq 0) { return [pscustomobject]@{ Uri = $uri; PidFile = $pidFile; Reason = $null } }
        Start-Sleep -Milliseconds 200
    }
    Stop-TestSsh $pidFile
    [pscustomobject]@{ Uri = $null; PidFile = $null; Reason = "libvirtd does not answer over SSH on port $port" }
}

function Stop-TestSsh([string] $PidFile) {
    if ($PidFile -and (Test-Path -LiteralPath $PidFile)) { & kill ([int](Get-Content -LiteralPath $PidFile)) 2>$null }
}

# Compiles tests/fixtures/osv-probe.c (the program the real-OSv tests run) to $Path.
function New-OsvProbe([string] $Path) {
    & gcc -fPIE -pie -O2 -o $Path (Join-Path $PSScriptRoot '../fixtures/osv-probe.c')
    if ($LASTEXITCODE) { throw 'gcc failed on osv-probe.c' }
    $Path
}

# The status probe (tests/fixtures/osv-status.c: returns, calls exit(), aborts, prints OSv's own lines), compiled to -Path.
function New-OsvStatusProbe([string] $Path) {
    & gcc -fPIE -pie -O2 -o $Path (Join-Path $PSScriptRoot '../fixtures/osv-status.c')
    if ($LASTEXITCODE) { throw 'gcc failed on osv-status.c' }
    $Path
}

# True once the process is gone: no /proc entry, or a zombie (ended, waiting for its parent to reap it).
# Waits up to -Seconds; a process that ended is never reported alive because it has not been reaped yet.
function Test-ProcessGone([int] $Id, [double] $Seconds = 10) {
    $deadline = [DateTime]::UtcNow.AddSeconds($Seconds)
    while ($true) {
        $stat = Get-Content -LiteralPath "/proc/$Id/stat" -Raw -ErrorAction Ignore
        if (-not $stat -or $stat.Substring($stat.LastIndexOf(')') + 2, 1) -eq 'Z') { return $true }
        if ([DateTime]::UtcNow -gt $deadline) { return $false }
        Start-Sleep -Milliseconds 20
    }
}

# What Start-OsvInstance -Wait wrote: the console lines, and the instance it returned at the end.
function Get-ConsoleLines($Output) { @($Output | Where-Object { $_ -is [string] }) }
function Get-FinalInstance($Output) { $Output | Where-Object { $_ -isnot [string] } | Select-Object -Last 1 }

# Runs a script in a runspace of its own on this process's host and returns what it wrote: output,
# progress records and errors. The module is imported there first.
function Invoke-WithProgress([string] $Script, [object[]] $Arguments = @()) {
    $runspace = [runspacefactory]::CreateRunspace($Host)
    $runspace.Open()
    $ps = [powershell]::Create()
    $ps.Runspace = $runspace
    try {
        $ps.AddScript("param(`$__module) Import-Module `$__module; `$ProgressPreference = 'Continue'").AddArgument((Get-OsvTestModulePath)).AddStatement() | Out-Null
        $ps.AddScript($Script) | Out-Null
        foreach ($argument in $Arguments) { $ps.AddArgument($argument) | Out-Null }
        $output = $ps.Invoke()
        [pscustomobject]@{ Output = @($output); Progress = @($ps.Streams.Progress); Errors = @($ps.Streams.Error) }
    }
    finally { $ps.Dispose(); $runspace.Dispose() }
}

Export-ModuleMember -Function New-TestNetNamespace, Remove-TestNetNamespace, Remove-TestNetNamespaces, Get-NetworkTestBlocker, Invoke-PwshInNamespace, Test-DebianInstalled, Invoke-WithProgress, Skip-WithoutOsv, Clear-TestLibvirt, Initialize-TestLibvirt, Get-ConsoleLines, Get-FinalInstance, Test-ProcessGone, Stop-TestLibvirt, Find-RealOsv, Start-TestLibvirt, Start-TestSsh, Stop-TestSsh, New-RealOsvRepository, New-OsvProbe, New-OsvStatusProbe, New-TestReleaseSite, Start-TestReleaseServer, Publish-TestRelease, Get-OsvTestModulePath, Invoke-FreshPwsh, New-StandInLoader, New-TestRepository, New-StandInKernel, New-InstanceTestSetup, Stop-TestInstances, Remove-TestInstances, Get-FreePort, Test-PortListening, Get-DebianSkipReason
