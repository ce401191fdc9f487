#!/usr/bin/env bats
# Registry authentication: login / logout, the auth file, docker's
# config.json, Basic (htpasswd) and Bearer token auth.  The token server is
# busybox httpd (which checks the Basic credentials itself) running a CGI
# that signs a JWT with openssl; the registry trusts its certificate.

load helpers

USER_=alice
PASS_=s3cret

setup_file() {
	BATS_TEST_TMPDIR=$BATS_FILE_TMPDIR
	local d=$BATS_FILE_TMPDIR tport
	htpasswd -Bbn "$USER_" "$PASS_" >"$d/htpasswd"
	start_registry basic "auth:" "  htpasswd:" "    realm: hako-test" "    path: $d/htpasswd"

	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/key.pem" -out "$d/cert.pem" -days 2 \
		-subj /CN=hako-test-token 2>/dev/null
	x5c=$(openssl x509 -in "$d/cert.pem" -outform der | base64 -w0)
	mkdir -p "$d/www/cgi-bin"
	cat >"$d/www/cgi-bin/token" <<-CGI
		#!/bin/sh
		# busybox httpd has checked the Basic credentials before we run
		q=\$(busybox httpd -d "\$QUERY_STRING")
		scope=\$(echo "\$q" | tr '&' '\n' | sed -n 's/^scope=//p')
		b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }
		now=\$(date +%s)
		# every scope asked for is granted (a mount asks for two)
		access=
		for scope in \$scope; do
			type=\${scope%%:*}; rest=\${scope#*:}; name=\${rest%:*}; actions=\${rest##*:}
			access="\$access\${access:+,}{\\"type\\":\\"\$type\\",\\"name\\":\\"\$name\\",\\"actions\\":[\\"\$(echo "\$actions" | sed 's/,/","/g')\\"]}"
		done
		access="[\$access]"
		h=\$(printf '{"typ":"JWT","alg":"RS256","x5c":["%s"]}' "$x5c" | b64url)
		c=\$(printf '{"iss":"hako-test-issuer","sub":"$USER_","aud":"hako-test","exp":%d,"nbf":%d,"iat":%d,"jti":"%s","access":%s}' \\
			\$((now + 600)) \$((now - 60)) \$now "\$now\$\$" "\$access" | b64url)
		s=\$(printf '%s.%s' "\$h" "\$c" | openssl dgst -sha256 -sign "$d/key.pem" | b64url)
		printf 'Content-Type: application/json\r\n\r\n{"token":"%s.%s.%s"}\n' "\$h" "\$c" "\$s"
	CGI
	chmod +x "$d/www/cgi-bin/token"
	echo "/cgi-bin:$USER_:$PASS_" >"$d/httpd.conf"
	tport=$(free_port)
	setsid busybox httpd -f -p "127.0.0.1:$tport" -h "$d/www" -c "$d/httpd.conf" -r hako-test \
		>"$d/httpd.log" 2>&1 </dev/null &
	echo $! >"$d/httpd.pid"
	start_registry token "auth:" "  token:" "    realm: http://127.0.0.1:$tport/cgi-bin/token" \
		"    service: hako-test" "    issuer: hako-test-issuer" "    rootcertbundle: $d/cert.pem"
}

teardown_file() {
	stop_registry basic
	stop_registry token
	local pid
	pid=$(cat "$BATS_FILE_TMPDIR/httpd.pid" 2>/dev/null) && kill "$pid" 2>/dev/null
	true
}

setup() {
	image_setup
	import_busybox busybox:1
}

auth_flow() {
	local reg=$1
	run hako push busybox:1 "$reg/auth/bb:1"
	assert_failure
	assert_output --partial "hako login"

	run hako login -u "$USER_" -p wrong "$reg"
	assert_failure
	assert_output --partial "login to $reg"
	[ ! -e "$HAKO_AUTH_FILE" ]

	run hako login -u "$USER_" --password-stdin "$reg" <<<"$PASS_"
	assert_success
	assert_output "Login Succeeded"
	[ "$(stat -c %a "$HAKO_AUTH_FILE")" = 600 ]
	[ "$(jq -r --arg r "$reg" '.auths[$r].auth' "$HAKO_AUTH_FILE" | base64 -d)" = "$USER_:$PASS_" ]

	run hako push busybox:1 "$reg/auth/bb:1"
	assert_success
	HAKO_STORAGE=$BATS_TEST_TMPDIR/s2 run hako pull "$reg/auth/bb:1"
	assert_success
	# the other client, with the same credentials
	run timeout 60 skopeo inspect --tls-verify=false --creds "$USER_:$PASS_" "docker://$reg/auth/bb:1"
	assert_success

	run hako logout "$reg"
	assert_success
	assert_output "Removed login credentials for $reg"
	run hako logout "$reg"
	assert_failure
	assert_output --partial "not logged in"
	HAKO_STORAGE=$BATS_TEST_TMPDIR/s3 run hako pull "$reg/auth/bb:1"
	assert_failure
}

@test "Basic auth (htpasswd): login, push, pull, logout" {
	registry_address basic
	auth_flow "$REGISTRY"
	run hako login -u "$USER_" -p wrong "$REGISTRY"
	assert_output --partial "unauthorized"
}

@test "Bearer token auth: login, push, pull, logout; a wrong password says so" {
	registry_address token
	auth_flow "$REGISTRY"
	run hako login -u "$USER_" -p wrong "$REGISTRY"
	assert_output --partial "authentication failed: wrong username or password"
}

@test "credentials from docker's config.json and --creds are used" {
	registry_address token
	mkdir -p "$HOME/.docker"
	printf '{"auths":{"http://%s/v1/":{"auth":"%s"}}}' "$REGISTRY" "$(printf '%s:%s' "$USER_" "$PASS_" | base64 -w0)" \
		>"$HOME/.docker/config.json"
	run hako push busybox:1 "$REGISTRY/auth/docker:1"
	assert_success
	rm "$HOME/.docker/config.json"
	HAKO_STORAGE=$BATS_TEST_TMPDIR/s2 run hako pull --creds "$USER_:$PASS_" "$REGISTRY/auth/docker:1"
	assert_success
	HAKO_STORAGE=$BATS_TEST_TMPDIR/s3 run hako pull "$REGISTRY/auth/docker:1"
	assert_failure
	assert_output --partial "authentication failed"
}

@test "Bearer token auth: a mount asks for pull on the source repository as well" {
	registry_address token
	hako login -u "$USER_" -p "$PASS_" "$REGISTRY" >/dev/null
	run hako push busybox:1 "$REGISTRY/auth/src:1"
	assert_success
	assert_line --regexp '^[0-9a-f]{12}: Pushed$'
	run hako push busybox:1 "$REGISTRY/auth/dst:1"
	assert_success
	assert_line --regexp '^[0-9a-f]{12}: Mounted from auth/src$'
}

# A credential helper docker-credential-$1 in $BATS_TEST_TMPDIR/bin (put
# first in PATH): it logs its arguments and stdin, then runs $2.
make_helper() {
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	cat >"$BATS_TEST_TMPDIR/bin/docker-credential-$1" <<-SH
		#!/bin/sh
		server=\$(cat)
		echo "\$* \$server" >>"$BATS_TEST_TMPDIR/helper.log"
		$2
	SH
	chmod +x "$BATS_TEST_TMPDIR/bin/docker-credential-$1"
	export PATH=$BATS_TEST_TMPDIR/bin:$PATH
}

docker_config() {
	mkdir -p "$HOME/.docker"
	echo "$1" >"$HOME/.docker/config.json"
}

@test "credHelpers: the registry's helper gives the credentials" {
	registry_address basic
	make_helper hakotest "printf '{\"ServerURL\":\"%s\",\"Username\":\"$USER_\",\"Secret\":\"$PASS_\"}' \"\$server\""
	docker_config "{\"credHelpers\":{\"$REGISTRY\":\"hakotest\"},\"auths\":{\"$REGISTRY\":{}}}"
	run hako push busybox:1 "$REGISTRY/helper/bb:1"
	assert_success
	# `get` with the registry on stdin, no newline
	[ "$(cat "$BATS_TEST_TMPDIR/helper.log")" = "get $REGISTRY" ]
	HAKO_STORAGE=$BATS_TEST_TMPDIR/s2 run hako pull "$REGISTRY/helper/bb:1"
	assert_success
	# a helper for another registry is not asked
	rm "$BATS_TEST_TMPDIR/helper.log"
	docker_config '{"credHelpers":{"elsewhere.example":"hakotest"}}'
	HAKO_STORAGE=$BATS_TEST_TMPDIR/s3 run hako pull "$REGISTRY/helper/bb:1"
	assert_failure
	assert_output --partial "authentication required"
	[ ! -e "$BATS_TEST_TMPDIR/helper.log" ]
}

@test "credsStore: the store gives the credentials; 'not found' means none" {
	registry_address basic
	make_helper hakostore "
		[ \"\$server\" = '$REGISTRY' ] || { echo 'credentials not found in native keychain'; exit 1; }
		echo '{\"Username\":\"$USER_\",\"Secret\":\"$PASS_\"}'"
	docker_config '{"credsStore":"hakostore"}'
	run hako push busybox:1 "$REGISTRY/store/bb:1"
	assert_success
	# a registry the store has nothing for: anonymous, and the registry says no
	registry_address token
	run hako push busybox:1 "$REGISTRY/store/bb:1"
	assert_failure
	assert_output --partial "hako login"
	run cat "$BATS_TEST_TMPDIR/helper.log"
	assert_line "get $(cat "$BATS_FILE_TMPDIR/basic/address")"
	assert_line "get $REGISTRY"
	# the file's own auths entry when the store has none
	docker_config "{\"credsStore\":\"hakostore\",\"auths\":{\"$REGISTRY\":{\"auth\":\"$(printf '%s:%s' "$USER_" "$PASS_" | base64 -w0)\"}}}"
	run hako push busybox:1 "$REGISTRY/store/bb:1"
	assert_success
}

@test "a credential helper that fails or is missing is a clear error" {
	registry_address basic
	make_helper broken "echo 'error: the keychain is locked'; exit 3"
	docker_config '{"credsStore":"broken"}'
	run hako push busybox:1 "$REGISTRY/helper/bb:1"
	assert_failure
	assert_output --partial "credsStore in \`$HOME/.docker/config.json\`: \`docker-credential-broken get\` for $REGISTRY failed (exit status 3): error: the keychain is locked"
	HAKO_STORAGE=$BATS_TEST_TMPDIR/s2 run hako pull "$REGISTRY/helper/bb:1"
	assert_failure
	assert_output --partial "docker-credential-broken get"

	docker_config "{\"credHelpers\":{\"$REGISTRY\":\"nosuch\"}}"
	run hako push busybox:1 "$REGISTRY/helper/bb:1"
	assert_failure
	assert_output --partial "credHelpers in \`$HOME/.docker/config.json\`: credential helper \`docker-credential-nosuch\` is not installed (not found in PATH)"

	make_helper garbled "echo 'not json'"
	docker_config '{"credsStore":"garbled"}'
	run hako push busybox:1 "$REGISTRY/helper/bb:1"
	assert_failure
	assert_output --partial "\`docker-credential-garbled get\` for $REGISTRY: its answer is not JSON"

	# explicit credentials need no helper
	run hako push --creds "$USER_:$PASS_" busybox:1 "$REGISTRY/helper/bb:1"
	assert_success
}
