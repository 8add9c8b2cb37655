<#
.SYNOPSIS
Six servers and runtimes from Debian's own packages as OSv unikernels, each answering from the host: Java
(com.sun.net.httpserver), Node.js, PHP's built-in server, Ruby, haproxy and mosquitto.

.DESCRIPTION
Needs the packages (apt-get install openjdk-17-jdk-headless nodejs php8.2-cli ruby3.1 haproxy mosquitto) and
the built module (dotnet pwsh ./build.ps1 build). Each server is the same four steps:

    New-OsvProject <folder> -BootCommand '<the program as Debian installs it, with its arguments>'
    Add-OsvDebianPackage <package> -Project <folder> -LinuxLinker
    Build-OsvImage <folder> | Start-OsvInstance -Name <name> -Forward <host port>:<guest port>

then a request from the host, and Stop-OsvInstance. Nothing is copied by hand and no boot command is
rewritten: Add-OsvDebianPackage brings what the program needs at run time (Ruby's library from libruby3.1,
PHP's time zones from tzdata) and, with -LinuxLinker, makes the project's boot command start the program
on Linux's dynamic linker. All six need that linker on this kernel, and Add-OsvDebianPackage's warning
says so when it is left out: java and node stop on OSv's own linker, ruby and php call functions its C
library lacks (timer_create, the resolver), mosquitto's stat reads a file as a folder, and haproxy's
thread-local storage (43 KiB) is over the kernel's limit for a program.

What each needs on a unikernel, beside its package:
  java       the server's class, compiled with javac into /srv (the JDK is needed on the host only).
  node       the script, /srv/server.js.
  php        -S 0.0.0.0:8080 -t /srv/www, and the page it serves.
  ruby       the script, /srv/app.rb (a plain TCPServer; WEBrick, from ruby-webrick, comes too).
  haproxy    a configuration of its own: Debian's /etc/haproxy/haproxy.cfg chroots, drops to the user
             haproxy and daemonizes, none of which a unikernel does; this one answers itself.
  mosquitto  a configuration of its own: a listener on 0.0.0.0 (mosquitto 2 listens on loopback
             alone without one), anonymous clients, and 'user root' (the image has no user mosquitto).
Every server binds IPv4 (0.0.0.0): OSv has no IPv6 sockets. The guest is reachable only through the forward.

Writes one row per server: Program, Answered, Seconds (from Start-OsvInstance to the first answer), and,
beside them, the Answer itself, the BootMode and the instance's Name. -Keep leaves the servers running
(Stop-OsvInstance <name> ends each); without it each is stopped and removed once it answered.
#>
param(
    [ValidateSet('java', 'node', 'php', 'ruby', 'haproxy', 'mosquitto')]
    [string[]] $Only = @('java', 'node', 'php', 'ruby', 'haproxy', 'mosquitto'),
    [string] $Folder = (Join-Path ([IO.Path]::GetTempPath()) 'osvps-examples/debian-servers'),
    [ValidateSet('Auto', 'Disk', 'Kernel')] [string] $BootMode = 'Auto',
    [int] $Seconds = 120,
    [switch] $Keep
)
$ErrorActionPreference = 'Stop'
if (-not (Get-Module OsvPS)) { Import-Module (Join-Path $PSScriptRoot '../out/OsvPS') }

# Sends bytes to 127.0.0.1:$Port and returns what the server writes back (until it closes, or for MQTT the
# first 4 bytes), or $null. QEMU accepts a forwarded connection before the guest listens, then drops it.
function Send-Request([int] $Port, [byte[]] $Bytes, [int] $Want = 0) {
    $client = [Net.Sockets.TcpClient]::new()
    try {
        if (-not $client.ConnectAsync('127.0.0.1', $Port).Wait(3000)) { return $null }
        $stream = $client.GetStream()
        $stream.ReadTimeout = 5000
        $stream.Write($Bytes, 0, $Bytes.Length)
        $answer = [IO.MemoryStream]::new()
        $buffer = [byte[]]::new(4096)
        while (($Want -eq 0 -or $answer.Length -lt $Want) -and ($read = $stream.Read($buffer, 0, $buffer.Length)) -gt 0) { $answer.Write($buffer, 0, $read) }
        if ($answer.Length -eq 0) { $null } else { $answer.ToArray() }
    }
    catch { $null }
    finally { $client.Dispose() }
}

$http = { param($port) $a = Send-Request $port ([Text.Encoding]::ASCII.GetBytes("GET / HTTP/1.0`r`nHost: osv`r`n`r`n")); if ($a) { [Text.Encoding]::UTF8.GetString($a) } }
# MQTT 3.1.1 CONNECT (clean session, keep-alive 60 s, client id "osvps"); the broker answers CONNACK 20 02 00 00.
$mqtt = { param($port) $a = Send-Request $port ([byte[]](0x10, 17, 0, 4, 0x4D, 0x51, 0x54, 0x54, 4, 2, 0, 60, 0, 5, 0x6F, 0x73, 0x76, 0x70, 0x73)) 4; if ($a) { ($a | ForEach-Object { '{0:x2}' -f $_ }) -join ' ' } }

$servers = @(
    @{ Name = 'java'; Package = 'openjdk-17-jre-headless'; Port = 8080; Ask = $http
       Boot = '/usr/lib/jvm/java-17-openjdk-amd64/bin/java -cp /srv Hello'
       Files = @{ 'srv/Hello.java' = @'
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

public class Hello {
    public static void main(String[] args) throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress("0.0.0.0", 8080), 0);
        server.createContext("/", exchange -> {
            byte[] body = ("java " + System.getProperty("java.version") + " on OSv\n").getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
    }
}
'@ }
       Build = { param($project) & javac -d (Join-Path $project 'srv') (Join-Path $project 'srv/Hello.java'); if ($LASTEXITCODE) { throw "javac failed ($LASTEXITCODE)" } } }
    @{ Name = 'node'; Package = 'nodejs'; Port = 8080; Ask = $http
       Boot = '/usr/bin/node /srv/server.js'
       Files = @{ 'srv/server.js' = "require('http').createServer((req, res) => res.end('node ' + process.version + ' on OSv\n')).listen(8080, '0.0.0.0');`n" } }
    @{ Name = 'php'; Package = 'php8.2-cli'; Port = 8080; Ask = $http
       Boot = '/usr/bin/php8.2 -S 0.0.0.0:8080 -t /srv/www'
       Files = @{ 'srv/www/index.php' = "<?php echo 'php ', PHP_VERSION, ' on OSv; Paris in January: ', (new DateTime('2024-01-15 12:00', new DateTimeZone('Europe/Paris')))->format('T P'), `"\n`";`n" } }
    @{ Name = 'ruby'; Package = 'ruby3.1'; Port = 8080; Ask = $http
       Boot = '/usr/bin/ruby /srv/app.rb'
       Files = @{ 'srv/app.rb' = @'
require "socket"
server = TCPServer.new("0.0.0.0", 8080)
loop do
  client = server.accept
  client.gets
  body = "ruby #{RUBY_VERSION} on OSv\n"
  client.write "HTTP/1.0 200 OK\r\nContent-Length: #{body.bytesize}\r\n\r\n#{body}"
  client.close
end
'@ } }
    @{ Name = 'haproxy'; Package = 'haproxy'; Port = 8080; Ask = $http
       Boot = '/usr/sbin/haproxy -f /etc/haproxy/osv.cfg'
       Files = @{ 'etc/haproxy/osv.cfg' = @'
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend web
    bind 0.0.0.0:8080
    http-request return status 200 content-type text/plain string "haproxy on OSv"
'@ } }
    @{ Name = 'mosquitto'; Package = 'mosquitto'; Port = 1883; Ask = $mqtt
       Boot = '/usr/sbin/mosquitto -c /etc/mosquitto/osv.conf'
       Files = @{ 'etc/mosquitto/osv.conf' = "listener 1883 0.0.0.0`nallow_anonymous true`nuser root`n" } }
) | Where-Object { $_.Name -in $Only }

foreach ($server in $servers) {
    $name = "debian-$($server.Name)"
    $project = Join-Path $Folder $server.Name
    New-OsvProject $project -BootCommand $server.Boot -Force | Out-Null
    Add-OsvDebianPackage $server.Package -Project $project -LinuxLinker | Out-Null
    foreach ($file in $server.Files.GetEnumerator()) {
        $path = Join-Path $project $file.Key
        New-Item -ItemType Directory -Force (Split-Path $path) | Out-Null
        Set-Content -LiteralPath $path -Value $file.Value
    }
    if ($server.Build) { & $server.Build $project }

    # A free port on the host for the forward.
    $listener = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0)
    $listener.Start(); $port = $listener.LocalEndpoint.Port; $listener.Stop()

    Get-OsvInstance $name -ErrorAction Ignore | Remove-OsvInstance -Force
    $image = Build-OsvImage $project -PullMissing
    $clock = [Diagnostics.Stopwatch]::StartNew()
    $instance = $image | Start-OsvInstance -Name $name -BootMode $BootMode -Forward "${port}:$($server.Port)"
    $answer = $null
    while (-not $answer -and $clock.Elapsed.TotalSeconds -lt $Seconds -and (Get-OsvInstance $name).State -eq 'Running') {
        $answer = & $server.Ask $port
        if (-not $answer) { Start-Sleep -Milliseconds 200 }
    }
    $row = [pscustomobject]@{
        PSTypeName = 'OsvPS.Example.DebianServer'
        Program    = $server.Name
        Answered   = [bool]$answer
        Seconds    = [math]::Round($clock.Elapsed.TotalSeconds, 1)
        Answer     = $answer
        BootMode   = $instance.BootMode
        Name       = $name
        Port       = $port
    }
    $row | Add-Member -MemberType MemberSet -Name PSStandardMembers -Value ([Management.Automation.PSMemberInfo[]]@(
        [Management.Automation.PSPropertySet]::new('DefaultDisplayPropertySet', [string[]]('Program', 'Answered', 'Seconds'))))
    if (-not $Keep) {
        Stop-OsvInstance $name | Out-Null
        Remove-OsvInstance $name -Force
    }
    $row
}
