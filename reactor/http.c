/*
 * ticksink: HTTP requests to ClickHouse on the event loop.
 *
 * libcurl's multi-socket interface is wired to libevent as in curl's
 * hiperfifo example: curl tells us which sockets to watch
 * (CURLMOPT_SOCKETFUNCTION) and when to wake it (CURLMOPT_TIMERFUNCTION); the
 * loop calls curl_multi_socket_action when either happens.  Three contexts:
 * the svc for the multi, a struct http_req per transfer (CURLOPT_PRIVATE),
 * and a struct http_sock per socket (curl_multi_assign).
 *
 * A request borrows its body (CURLOPT_POSTFIELDS is not copied): an insert's
 * body belongs to the sink until the answer is reported; a query's SQL is
 * owned by the request and freed with it.  A ticks insert's body is made
 * as it is sent, by a read function, with its length known in advance; one
 * that curl must send again on a new connection is rewound.  A streamed
 * request (a window) reads its body as it goes, in chunked encoding, from a
 * read function that may ask it to wait: the transfer is paused until
 * http_resume.  With [clickhouse] gzip_level set, a read body goes through
 * zlib's deflate as curl reads it (Content-Encoding: gzip, chunked, since
 * its compressed length is known only at its end), for a server across a
 * slow link; on loopback it costs more CPU than it saves (README).
 */

#include <sys/types.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <curl/curl.h>
#include <zlib.h>

#include "log.h"
#include "svc.h"
#include "xmalloc.h"

#define HTTP_RESPONSE_MAX	(16 * 1024 * 1024)
#define HTTP_GZIP_IN		(64 * 1024)	/* body read per deflate */

/* A read body compressed as curl reads it. */
struct http_gzip {
	z_stream	 z;
	bool		 read_all;	/* the body's last byte is in z */
	bool		 ended;		/* deflate wrote the gzip trailer */
	uint8_t		 in[HTTP_GZIP_IN];
};

struct http_req {
	struct svc		*svc;
	uint64_t		 sent_us;	/* monotonic */
	size_t			 endpoint;	/* svc->ch_urls index */
	TAILQ_ENTRY(http_req)	 entry;		/* svc->http_reqs */
	CURL			*easy;
	char			*owned;		/* freed at completion */
	char			*resp;
	size_t			 resp_len;
	char			 errbuf[CURL_ERROR_SIZE];
	void			(*done)(struct svc *, void *,
				    const struct insert_response *);
	void			*arg;
	http_read_fn		*read;		/* body read; or NULL */
	http_rewind_fn		*rewind;	/* its start again; or NULL */
	void			*read_arg;
	struct http_gzip	*gzip;		/* gzip_level set; or NULL */
};

struct http_sock {
	struct event	*ev;
};

static int	http_socket_cb(CURL *, curl_socket_t, int, void *, void *);
static int	http_timer_cb(CURLM *, long, void *);
static void	http_event_cb(evutil_socket_t, short, void *);
static void	http_timeout_cb(evutil_socket_t, short, void *);
static size_t	http_write_cb(char *, size_t, size_t, void *);
static size_t	http_read_cb(char *, size_t, size_t, void *);
static size_t	http_gzip_read(struct http_req *, char *, size_t);
static void	http_read_body(struct http_req *, http_read_fn *,
		    http_rewind_fn *, void *, struct curl_slist *);
static int	http_seek_cb(void *, curl_off_t, int);
static struct http_req *http_request(struct svc *, const char *, char *,
		    void (*)(struct svc *, void *,
		    const struct insert_response *), void *);
static void	http_check_done(struct svc *);
static void	http_finish(struct svc *, CURL *, CURLcode);
static void	http_set_tls(struct svc *, CURL *);
static void	http_start(struct svc *, struct http_req *);

/* Create the multi handle and its timer. */
void
http_init(struct svc *svc)
{
	curl_version_info_data	*v;

	v = curl_version_info(CURLVERSION_NOW);
	if ((v->features & CURL_VERSION_ASYNCHDNS) == 0)
		fatalx("libcurl without asynchronous DNS would block the loop");
	if ((svc->multi = curl_multi_init()) == NULL)
		fatalx("curl_multi_init failed");
	curl_multi_setopt(svc->multi, CURLMOPT_SOCKETFUNCTION, http_socket_cb);
	curl_multi_setopt(svc->multi, CURLMOPT_SOCKETDATA, svc);
	curl_multi_setopt(svc->multi, CURLMOPT_TIMERFUNCTION, http_timer_cb);
	curl_multi_setopt(svc->multi, CURLMOPT_TIMERDATA, svc);
	svc->ev_http_timer = evtimer_new(svc->base, http_timeout_cb, svc);
	TAILQ_INIT(&svc->http_reqs);
}

/* Tear down: the multi first, since its socket callback still fires. */
void
http_free(struct svc *svc)
{
	if (svc->multi != NULL)
		curl_multi_cleanup(svc->multi);
	svc->multi = NULL;
	if (svc->ev_http_timer != NULL)
		event_free(svc->ev_http_timer);
	svc->ev_http_timer = NULL;
}

/* CURLMOPT_SOCKETFUNCTION: watch, change or forget one socket. */
static int
http_socket_cb(CURL *easy, curl_socket_t s, int what, void *clientp,
    void *socketp)
{
	struct svc	 *svc = clientp;
	struct http_sock *hs = socketp;
	short		  kind;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (hs != NULL) {
			event_free(hs->ev);
			free(hs);
		}
		return (0);
	}
	if (hs == NULL) {
		hs = xcalloc(1, sizeof *hs);
		hs->ev = event_new(svc->base, -1, 0, NULL, NULL);
		curl_multi_assign(svc->multi, s, hs);
	}
	kind = EV_PERSIST | ((what & CURL_POLL_IN) ? EV_READ : 0) |
	    ((what & CURL_POLL_OUT) ? EV_WRITE : 0);
	event_del(hs->ev);
	event_assign(hs->ev, svc->base, s, kind, http_event_cb, svc);
	event_add(hs->ev, NULL);
	return (0);
}

/* CURLMOPT_TIMERFUNCTION: arm or disarm our one curl timer. */
static int
http_timer_cb(CURLM *multi, long timeout_ms, void *clientp)
{
	struct svc	*svc = clientp;
	struct timeval	 tv;

	(void)multi;
	if (timeout_ms < 0) {
		evtimer_del(svc->ev_http_timer);
		return (0);
	}
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	evtimer_add(svc->ev_http_timer, &tv);
	return (0);
}

/* Socket ready: tell curl which way. */
static void
http_event_cb(evutil_socket_t fd, short kind, void *arg)
{
	struct svc	*svc = arg;
	CURLMcode	 rc;
	int		 mask = 0, running;

	if (kind & EV_READ)
		mask |= CURL_CSELECT_IN;
	if (kind & EV_WRITE)
		mask |= CURL_CSELECT_OUT;
	rc = curl_multi_socket_action(svc->multi, fd, mask, &running);
	if (rc == CURLM_BAD_SOCKET)
		log_warnx("curl: stale socket %d", (int)fd);
	else if (rc != CURLM_OK)
		fatalx("curl_multi_socket_action: %s", curl_multi_strerror(rc));
	http_check_done(svc);
}

/* curl's timer fired. */
static void
http_timeout_cb(evutil_socket_t fd, short kind, void *arg)
{
	struct svc	*svc = arg;
	CURLMcode	 rc;
	int		 running;

	(void)fd;
	(void)kind;
	rc = curl_multi_socket_action(svc->multi, CURL_SOCKET_TIMEOUT, 0,
	    &running);
	if (rc != CURLM_OK)
		fatalx("curl_multi_socket_action: %s", curl_multi_strerror(rc));
	http_check_done(svc);
}

/*
 * CURLOPT_WRITEFUNCTION: keep the answer.  An answer over HTTP_RESPONSE_MAX
 * (a resume check over a huge uncommitted window, or a broken server)
 * aborts the transfer: returning less than given makes it fail with
 * CURLE_WRITE_ERROR, so nothing acts on half an answer.
 */
static size_t
http_write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct http_req	*req = userdata;
	size_t		 n = size * nmemb;

	if (req->resp_len + n > HTTP_RESPONSE_MAX)
		return (0);
	req->resp = xreallocarray(req->resp, req->resp_len + n + 1, 1);
	memcpy(req->resp + req->resp_len, ptr, n);
	req->resp_len += n;
	req->resp[req->resp_len] = '\0';
	return (n);
}

/*
 * CURLOPT_READFUNCTION of a read body: its next bytes, or for a streamed
 * request a pause while there are none yet.  What the read decided (a batch
 * freed, another taken in) is carried out by http_check_done, once curl
 * has returned.
 */
static size_t
http_read_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct http_req	*req = userdata;
	size_t		 n;
	bool		 wait;

	if (req->gzip != NULL)
		return (http_gzip_read(req, ptr, size * nmemb));
	n = req->read(req->svc, req->read_arg, ptr, size * nmemb, &wait);
	req->svc->http_read = true;
	return (n == 0 && wait ? CURL_READFUNC_PAUSE : n);
}

/*
 * http_read_cb through deflate: compressed bytes into out (room bytes),
 * reading the body on while deflate asks for more and out has room; a
 * pause when a streamed body has nothing yet and nothing is left to give,
 * 0 once the gzip trailer is out.
 */
static size_t
http_gzip_read(struct http_req *req, char *out, size_t room)
{
	struct http_gzip	*gz = req->gzip;
	z_stream		*z = &gz->z;
	size_t			 n;
	bool			 wait = false;
	int			 rc;

	z->next_out = (Bytef *)out;
	z->avail_out = (uInt)(room > UINT_MAX ? UINT_MAX : room);
	while (z->avail_out > 0 && !gz->ended) {
		if (z->avail_in == 0 && !gz->read_all) {
			n = req->read(req->svc, req->read_arg, (char *)gz->in,
			    sizeof gz->in, &wait);
			req->svc->http_read = true;
			if (n == 0 && wait)
				break;
			gz->read_all = n == 0;
			z->next_in = gz->in;
			z->avail_in = (uInt)n;
		}
		rc = deflate(z, gz->read_all ? Z_FINISH : Z_NO_FLUSH);
		if (rc == Z_STREAM_END)
			gz->ended = true;
		else if (rc != Z_OK && rc != Z_BUF_ERROR)
			fatalx("deflate: %d", rc);
	}
	n = (size_t)((char *)z->next_out - out);
	return (n == 0 && wait ? CURL_READFUNC_PAUSE : n);
}

/* CURLOPT_SEEKFUNCTION of a read body: only back to its start. */
static int
http_seek_cb(void *userdata, curl_off_t offset, int origin)
{
	struct http_req	*req = userdata;

	if (offset != 0 || origin != SEEK_SET || req->rewind == NULL)
		return (CURL_SEEKFUNC_CANTSEEK);
	if (req->gzip != NULL) {
		if (deflateReset(&req->gzip->z) != Z_OK)
			fatalx("deflateReset failed");
		req->gzip->z.avail_in = 0;
		req->gzip->read_all = req->gzip->ended = false;
	}
	req->rewind(req->read_arg);
	return (CURL_SEEKFUNC_OK);
}

/*
 * TLS for https URLs: verify the server's certificate and name unless
 * [clickhouse] tls_verify = false (main warns about that at every start),
 * against ca_file when set, else the system's CAs.
 */
static void
http_set_tls(struct svc *svc, CURL *easy)
{
	const struct conf	*c = svc->conf;

	if (c->ch_ca_file[0] != '\0')
		curl_easy_setopt(easy, CURLOPT_CAINFO, c->ch_ca_file);
	curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER,
	    c->ch_tls_verify ? 1L : 0L);
	curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST,
	    c->ch_tls_verify ? 2L : 0L);
}

/*
 * POST body (len bytes, borrowed until done runs) to url.  owned, if not
 * NULL, is freed when the request completes.  done runs exactly once.
 */
void
http_post(struct svc *svc, const char *url, const void *body, size_t len,
    char *owned, void (*done)(struct svc *, void *,
    const struct insert_response *), void *arg)
{
	struct http_req	*req;

	req = http_request(svc, url, owned, done, arg);
	curl_easy_setopt(req->easy, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(req->easy, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)len);
	curl_easy_setopt(req->easy, CURLOPT_HTTPHEADER, svc->headers);
	http_start(svc, req);
}

/*
 * POST to url a body of len bytes that read gives piece by piece, and
 * rewind starts again.  owned and done as for http_post.
 */
void
http_post_read(struct svc *svc, const char *url, size_t len,
    http_read_fn *read, http_rewind_fn *rewind, void *read_arg, char *owned,
    void (*done)(struct svc *, void *, const struct insert_response *),
    void *arg)
{
	struct http_req	*req;

	req = http_request(svc, url, owned, done, arg);
	http_read_body(req, read, rewind, read_arg, svc->headers);
	curl_easy_setopt(req->easy, CURLOPT_SEEKFUNCTION, http_seek_cb);
	curl_easy_setopt(req->easy, CURLOPT_SEEKDATA, req);
	if (req->gzip == NULL)
		curl_easy_setopt(req->easy, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)len);
	http_start(svc, req);
}

/*
 * POST to url a body that read gives as it comes (chunked), until it
 * returns 0 without asking to wait.  Returns the request, for
 * http_resume; it is freed after done ran.
 */
struct http_req *
http_stream(struct svc *svc, const char *url, http_read_fn *read,
    void *read_arg, void (*done)(struct svc *, void *,
    const struct insert_response *), void *arg)
{
	struct http_req	*req;

	req = http_request(svc, url, NULL, done, arg);
	http_read_body(req, read, NULL, read_arg, svc->stream_headers);
	http_start(svc, req);
	return (req);
}

/*
 * The body of req comes from read (and rewind, if not NULL): chunked and
 * compressed when gzip_level is set, else as it is, with headers (borrowed;
 * they live as long as svc).
 */
static void
http_read_body(struct http_req *req, http_read_fn *read,
    http_rewind_fn *rewind, void *read_arg, struct curl_slist *headers)
{
	struct svc	*svc = req->svc;

	req->read = read;
	req->rewind = rewind;
	req->read_arg = read_arg;
	curl_easy_setopt(req->easy, CURLOPT_READFUNCTION, http_read_cb);
	curl_easy_setopt(req->easy, CURLOPT_READDATA, req);
	if (svc->conf->ch_gzip_level == 0) {
		curl_easy_setopt(req->easy, CURLOPT_HTTPHEADER, headers);
		return;
	}
	req->gzip = xcalloc(1, sizeof *req->gzip);
	/* windowBits 15 + 16: a gzip header and trailer around the data. */
	if (deflateInit2(&req->gzip->z, (int)svc->conf->ch_gzip_level,
	    Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		fatalx("deflateInit2 failed");
	curl_easy_setopt(req->easy, CURLOPT_HTTPHEADER, svc->gzip_headers);
}

/* A streamed request's body has more, or its end: read on. */
void
http_resume(struct http_req *req)
{
	CURLcode	rc;

	if ((rc = curl_easy_pause(req->easy, CURLPAUSE_CONT)) != CURLE_OK)
		log_warnx("curl_easy_pause: %s", curl_easy_strerror(rc));
}

/* A POST request to url with everything but its body. */
static struct http_req *
http_request(struct svc *svc, const char *url, char *owned,
    void (*done)(struct svc *, void *, const struct insert_response *),
    void *arg)
{
	struct http_req	*req;
	CURL		*easy;

	req = xcalloc(1, sizeof *req);
	req->svc = svc;
	req->owned = owned;
	req->done = done;
	req->arg = arg;
	req->endpoint = svc->ch_endpoints.cur;
	if ((easy = curl_easy_init()) == NULL)
		fatalx("curl_easy_init failed");
	req->easy = easy;
	curl_easy_setopt(easy, CURLOPT_URL, url);
	curl_easy_setopt(easy, CURLOPT_POST, 1L);
	curl_easy_setopt(easy, CURLOPT_PRIVATE, req);
	curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, req->errbuf);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, http_write_cb);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, req);
	curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS,
	    (long)svc->conf->ch_timeout_ms);
	curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)(svc->conf->ch_timeout_ms < 5000 ?
	    svc->conf->ch_timeout_ms : 5000));
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	http_set_tls(svc, easy);
	return (req);
}

/* Hand a request to the multi handle. */
static void
http_start(struct svc *svc, struct http_req *req)
{
	if (curl_multi_add_handle(svc->multi, req->easy) != CURLM_OK)
		fatalx("curl_multi_add_handle failed");
	svc->http_running++;
	req->sent_us = loop_now_us();
	TAILQ_INSERT_TAIL(&svc->http_reqs, req, entry);
}

/* Age of the oldest request in flight (the watchdog's check); 0 if none. */
uint64_t
http_oldest_age_us(struct svc *svc, uint64_t now_us)
{
	struct http_req	*req;

	if ((req = TAILQ_FIRST(&svc->http_reqs)) == NULL ||
	    now_us < req->sent_us)
		return (0);
	return (now_us - req->sent_us);
}

/*
 * Collect finished transfers; then, if a streamed body was read, carry out
 * what the sink decided meanwhile.
 */
static void
http_check_done(struct svc *svc)
{
	CURLMsg	*msg;
	int	 left;

	while ((msg = curl_multi_info_read(svc->multi, &left)) != NULL) {
		if (msg->msg == CURLMSG_DONE)
			http_finish(svc, msg->easy_handle, msg->data.result);
	}
	if (svc->http_read) {
		svc->http_read = false;
		loop_apply(svc);
	}
}

/*
 * One transfer is over: map curl's result to our transport enum, release
 * curl's handle, report, then free the request.
 */
static void
http_finish(struct svc *svc, CURL *easy, CURLcode result)
{
	struct http_req		*req;
	struct insert_response	 resp;
	long			 status = 0;
	const char		*nl;
	size_t			 n;
	char			 why[64];

	curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&req);
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
	curl_multi_remove_handle(svc->multi, easy);
	curl_easy_cleanup(easy);
	svc->http_running--;
	TAILQ_REMOVE(&svc->http_reqs, req, entry);
	/* 502-504 come from a proxy in front: the server is away. */
	svc->ch_reachable = result == CURLE_OK && (status < 502 ||
	    status > 504);
	resp.status = status;
	resp.elapsed_us = loop_now_us() - req->sent_us;
	resp.body = req->resp != NULL ? req->resp : "";
	resp.len = req->resp_len;
	if (result == CURLE_OK)
		resp.transport = INSERT_NET_OK;
	else {
		resp.transport = result == CURLE_OPERATION_TIMEDOUT ?
		    INSERT_NET_TIMEOUT : INSERT_NET_ERROR;
		resp.body = req->errbuf[0] != '\0' ? req->errbuf :
		    curl_easy_strerror(result);
		resp.len = strlen(resp.body);
	}
	if (endpoint_is_away(&resp)) {
		n = resp.len < 40 ? resp.len : 40;
		if ((nl = memchr(resp.body, '\n', n)) != NULL)
			n = nl - resp.body;
		if (result != CURLE_OK)
			snprintf(why, sizeof why, "%s",
			    curl_easy_strerror(result));
		else
			snprintf(why, sizeof why, "HTTP %ld: %.*s", status,
			    (int)n, resp.body);
		ch_endpoint_away(svc, req->endpoint, why);
	}
	req->done(svc, req->arg, &resp);
	if (req->gzip != NULL) {
		deflateEnd(&req->gzip->z);
		free(req->gzip);
	}
	free(req->owned);
	free(req->resp);
	free(req);
}
