/**
 * Private: the table of well-known services behind `getservbyname` and
 * `getservbyport`, in `/etc/services` order and format (name, port/protocol,
 * aliases), taken from Debian's netbase file, which follows IANA's registry.
 *
 * pysocket does not read `/etc/services`: in Deno that needs
 * `--allow-read=/etc/services`, and a name lookup should not ask for file
 * access. So the table is fixed, and the same on every system.
 *
 * @module
 */

/** One service: its name, port, protocol and other names. */
export interface Service {
  /** The official name, as `getservbyport` returns it. */
  readonly name: string;
  /** The port number. */
  readonly port: number;
  /** `"tcp"` or `"udp"`. */
  readonly proto: string;
  /** Other names `getservbyname` accepts. */
  readonly aliases: readonly string[];
}

const TABLE = `
tcpmux 1/tcp
echo 7/tcp
echo 7/udp
discard 9/tcp sink null
discard 9/udp sink null
systat 11/tcp users
daytime 13/tcp
daytime 13/udp
netstat 15/tcp
qotd 17/tcp quote
chargen 19/tcp ttytst source
chargen 19/udp ttytst source
ftp-data 20/tcp
ftp 21/tcp
fsp 21/udp fspd
ssh 22/tcp
telnet 23/tcp
smtp 25/tcp mail
time 37/tcp timserver
time 37/udp timserver
whois 43/tcp nicname
tacacs 49/tcp
tacacs 49/udp
domain 53/tcp
domain 53/udp
bootps 67/udp
bootpc 68/udp
tftp 69/udp
gopher 70/tcp
finger 79/tcp
http 80/tcp www
kerberos 88/tcp kerberos5 krb5 kerberos-sec
kerberos 88/udp kerberos5 krb5 kerberos-sec
pop3 110/tcp pop-3
sunrpc 111/tcp portmapper
sunrpc 111/udp portmapper
auth 113/tcp authentication tap ident
nntp 119/tcp readnews untp
ntp 123/udp
epmap 135/tcp loc-srv
netbios-ns 137/udp
netbios-dgm 138/udp
netbios-ssn 139/tcp
imap2 143/tcp imap
snmp 161/tcp
snmp 161/udp
snmp-trap 162/tcp snmptrap
snmp-trap 162/udp snmptrap
bgp 179/tcp
ldap 389/tcp
ldap 389/udp
svrloc 427/tcp
svrloc 427/udp
https 443/tcp
https 443/udp
microsoft-ds 445/tcp
kpasswd 464/tcp
kpasswd 464/udp
submissions 465/tcp ssmtp smtps urd
isakmp 500/udp
rtsp 554/tcp
rtsp 554/udp
ipp 631/tcp
exec 512/tcp
biff 512/udp comsat
login 513/tcp
who 513/udp whod
shell 514/tcp cmd syslog
syslog 514/udp
printer 515/tcp spooler
talk 517/udp
ntalk 518/udp
route 520/udp router routed
uucp 540/tcp uucpd
dhcpv6-client 546/udp
dhcpv6-server 547/udp
nntps 563/tcp snntp
submission 587/tcp
ldaps 636/tcp
ldaps 636/udp
domain-s 853/tcp
domain-s 853/udp
rsync 873/tcp
ftps-data 989/tcp
ftps 990/tcp
telnets 992/tcp
imaps 993/tcp
pop3s 995/tcp
socks 1080/tcp
openvpn 1194/tcp
openvpn 1194/udp
ms-sql-s 1433/tcp
ms-sql-m 1434/udp
radius 1812/tcp
radius 1812/udp
radius-acct 1813/tcp radacct
radius-acct 1813/udp radacct
nfs 2049/tcp
nfs 2049/udp
mysql 3306/tcp
sip 5060/tcp
sip 5060/udp
sip-tls 5061/tcp
sip-tls 5061/udp
xmpp-client 5222/tcp jabber-client
xmpp-server 5269/tcp jabber-server
mdns 5353/udp
postgresql 5432/tcp postgres
amqp 5672/tcp
amqp 5672/sctp
x11 6000/tcp x11-0
redis 6379/tcp
http-alt 8080/tcp webcache
echo 4/ddp
tproxy 8081/tcp
`;

let services: readonly Service[] | null = null;

/**
 * The services, in file order (the first match wins, as in the C library).
 *
 * @returns The parsed table, made once.
 */
export function serviceTable(): readonly Service[] {
  services ??= TABLE.trim().split("\n").map((line) => {
    const [name, where, ...aliases] = line.split(" ");
    const [port, proto] = where.split("/");
    return Object.freeze({ name, port: Number(port), proto, aliases });
  });
  return services;
}
