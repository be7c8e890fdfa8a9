#include "modules/bot/page.h"

#include <fmt/format.h>

namespace rampart::modules::bot {
namespace {

struct Texts {
  std::string_view title;
  std::string_view lead;  // {brand}
  std::string_view step;  // {k} {n}
  std::string_view done;
  std::string_view no_js;  // {s}
  std::string_view no_js_only;
  std::string_view js_required;
  std::string_view button;
  std::string_view cookies_title;
  std::string_view cookies_text;
  std::string_view retry;
  std::string_view request_id;
};

constexpr Texts kEnglish = {
    "Checking your browser",
    "{brand} checks that this visit comes from a person. It takes a moment and needs nothing "
    "from you.",
    "Checking… step {k} of {n}",
    "Done. Taking you to the page…",
    "JavaScript is off: you can continue in {s} seconds with the button below.",
    "You can continue in {s} seconds with the button below.",
    "Please turn on JavaScript to continue.",
    "Continue",
    "Cookies are blocked",
    "Your browser did not keep the cookie that records this check, so every page would ask "
    "again. Allow cookies for this site, then try again.",
    "Try again",
    "Request ID",
};

constexpr Texts kFrench = {
    "Vérification de votre navigateur",
    "{brand} vérifie que cette visite vient d’une personne. Cela prend un instant et ne vous "
    "demande rien.",
    "Vérification… étape {k} sur {n}",
    "Terminé. Vous allez être redirigé vers la page…",
    "JavaScript est désactivé : vous pourrez continuer dans {s} secondes avec le bouton "
    "ci-dessous.",
    "Vous pourrez continuer dans {s} secondes avec le bouton ci-dessous.",
    "Veuillez activer JavaScript pour continuer.",
    "Continuer",
    "Les cookies sont bloqués",
    "Votre navigateur n’a pas conservé le cookie qui enregistre cette vérification : chaque "
    "page la redemanderait. Autorisez les cookies pour ce site, puis réessayez.",
    "Réessayer",
    "Identifiant de la requête",
};

std::string escape_html(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string replace(std::string_view text, std::string_view key, std::string_view value) {
  std::string out(text);
  if (size_t at = out.find(key); at != std::string::npos) out.replace(at, key.size(), value);
  return out;
}

// SHA-256 of "<challenge>:<i>:<n>" for n = 0, 1, ... until `bits` leading zero bits. The
// challenge is exactly one 64-byte block, so its state is computed once per puzzle.
constexpr std::string_view kSolver = R"JS(function solver(){
var K=new Int32Array([0x428a2f98,0x71374491,0xb5c0fbcf,0xe9b5dba5,0x3956c25b,0x59f111f1,0x923f82a4,0xab1c5ed5,0xd807aa98,0x12835b01,0x243185be,0x550c7dc3,0x72be5d74,0x80deb1fe,0x9bdc06a7,0xc19bf174,0xe49b69c1,0xefbe4786,0x0fc19dc6,0x240ca1cc,0x2de92c6f,0x4a7484aa,0x5cb0a9dc,0x76f988da,0x983e5152,0xa831c66d,0xb00327c8,0xbf597fc7,0xc6e00bf3,0xd5a79147,0x06ca6351,0x14292967,0x27b70a85,0x2e1b2138,0x4d2c6dfc,0x53380d13,0x650a7354,0x766a0abb,0x81c2c92e,0x92722c85,0xa2bfe8a1,0xa81a664b,0xc24b8b70,0xc76c51a3,0xd192e819,0xd6990624,0xf40e3585,0x106aa070,0x19a4c116,0x1e376c08,0x2748774c,0x34b0bcb5,0x391c0cb3,0x4ed8aa4a,0x5b9cca4f,0x682e6ff3,0x748f82ee,0x78a5636f,0x84c87814,0x8cc70208,0x90befffa,0xa4506ceb,0xbef9a3f7,0xc67178f2]);
var W=new Int32Array(64),S=new Int32Array(8),B=new Uint8Array(64);
function block(H){var t,a,b,c,d,e,f,g,h,x,y;
for(t=16;t<64;t++){x=W[t-15];y=W[t-2];
W[t]=(W[t-16]+(((x>>>7)|(x<<25))^((x>>>18)|(x<<14))^(x>>>3))+W[t-7]+(((y>>>17)|(y<<15))^((y>>>19)|(y<<13))^(y>>>10)))|0;}
a=H[0];b=H[1];c=H[2];d=H[3];e=H[4];f=H[5];g=H[6];h=H[7];
for(t=0;t<64;t++){x=(h+(((e>>>6)|(e<<26))^((e>>>11)|(e<<21))^((e>>>25)|(e<<7)))+((e&f)^(~e&g))+K[t]+W[t])|0;
y=((((a>>>2)|(a<<30))^((a>>>13)|(a<<19))^((a>>>22)|(a<<10)))+((a&b)^(a&c)^(b&c)))|0;
h=g;g=f;f=e;e=(d+x)|0;d=c;c=b;b=a;a=(x+y)|0;}
H[0]=(H[0]+a)|0;H[1]=(H[1]+b)|0;H[2]=(H[2]+c)|0;H[3]=(H[3]+d)|0;H[4]=(H[4]+e)|0;H[5]=(H[5]+f)|0;H[6]=(H[6]+g)|0;H[7]=(H[7]+h)|0;}
function words(s){for(var i=0;i<16;i++)W[i]=(s.charCodeAt(4*i)<<24)|(s.charCodeAt(4*i+1)<<16)|(s.charCodeAt(4*i+2)<<8)|s.charCodeAt(4*i+3);}
return function(ch,idx,bits){var mid=new Int32Array([0x6a09e667,0xbb67ae85,0x3c6ef372,0xa54ff53a,0x510e527f,0x9b05688c,0x1f83d9ab,0x5be0cd19]);
words(ch);block(mid);var pre=':'+idx+':',n,i,s,L,z,bl;
for(n=0;n<1e15;n++){s=pre+n;L=s.length;B.fill(0);for(i=0;i<L;i++)B[i]=s.charCodeAt(i);B[L]=0x80;
bl=(64+L)*8;B[62]=bl>>>8;B[63]=bl&255;
for(i=0;i<16;i++)W[i]=(B[4*i]<<24)|(B[4*i+1]<<16)|(B[4*i+2]<<8)|B[4*i+3];
S.set(mid);block(S);z=Math.clz32(S[0]);if(z===32)z+=Math.clz32(S[1]);if(z>=bits)return n;}
return -1;};}
)JS";

// Hands puzzles to up to four workers; if workers are missing or refused, solves them on
// the page itself, one puzzle per task so the page stays responsive.
constexpr std::string_view kMain = R"JS((function(){
var root=document.getElementById('rp'),st=document.getElementById('rp-status');
var c=root.getAttribute('data-c'),bits=+root.getAttribute('data-b'),n=+root.getAttribute('data-n');
var msgStep=root.getAttribute('data-step'),msgDone=root.getAttribute('data-done');
var form=document.getElementById('rp-form'),out=document.getElementById('rp-s');
var res=[],done=0,next=0,finished=false,fell=false;
function show(){st.textContent=msgStep.replace('{k}',done).replace('{n}',n);}
function finish(){if(finished)return;finished=true;out.value=res.join(',');st.textContent=msgDone;form.submit();}
function got(i,v){if(res[i]===undefined){res[i]=v;done++;show();if(done===n)finish();}}
var solve=solver();
function fallback(){if(fell)return;fell=true;var i=0;(function step(){while(i<n&&res[i]!==undefined)i++;if(i>=n)return;got(i,solve(c,i,bits));setTimeout(step,0);})();}
show();
try{if(!window.Worker||!window.Blob||!window.URL)throw 0;
var url=URL.createObjectURL(new Blob(['var solve=('+solver.toString()+')();onmessage=function(e){postMessage([e.data,solve('+JSON.stringify(c)+',e.data,'+bits+')]);};'],{type:'text/javascript'}));
var k=Math.max(1,Math.min(n,navigator.hardwareConcurrency||2,4));
for(var w=0;w<k;w++){(function(){var wk=new Worker(url);
wk.onmessage=function(e){got(e.data[0],e.data[1]);if(next<n)wk.postMessage(next++);else wk.terminate();};
wk.onerror=function(e){if(e&&e.preventDefault)e.preventDefault();wk.terminate();fallback();};
wk.postMessage(next++);})();}
}catch(e){fallback();}
})();
)JS";

constexpr std::string_view kStyle = R"CSS(
:root{color-scheme:light dark;--brand:{color}}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:Canvas;color:CanvasText}
main{max-width:36rem;margin:12vh auto;padding:0 1.5rem}
.brand{font-weight:700;color:var(--brand);letter-spacing:.02em}
h1{font-size:1.6rem;margin:.5rem 0 1rem}
.spin{width:2rem;height:2rem;border:.25rem solid color-mix(in srgb,var(--brand) 25%,transparent);border-top-color:var(--brand);border-radius:50%;animation:spin 1s linear infinite}
@keyframes spin{to{transform:rotate(360deg)}}
@media (prefers-reduced-motion:reduce){.spin{animation:none;border-top-color:color-mix(in srgb,var(--brand) 25%,transparent)}}
button,.button{font:inherit;padding:.6rem 1.2rem;border:0;border-radius:.4rem;background:var(--brand);color:#fff;cursor:pointer;text-decoration:none;display:inline-block}
button:focus-visible,.button:focus-visible{outline:3px solid CanvasText;outline-offset:2px}
.rid{margin-top:3rem;font-size:.85rem;opacity:.8}
)CSS";

}  // namespace

std::string page_csp(std::string_view nonce) {
  return fmt::format(
      "default-src 'none'; script-src 'nonce-{0}'; style-src 'nonce-{0}'; worker-src blob:; "
      "img-src data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
      nonce);
}

std::string_view pick_language(std::string_view accept_language) {
  // The first of "fr" or "en" by q-value wins; equal q: the earlier one.
  double best_q = -1;
  std::string_view best = "en";
  size_t pos = 0;
  while (pos < accept_language.size()) {
    size_t comma = accept_language.find(',', pos);
    std::string_view item = accept_language.substr(
        pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    pos = comma == std::string_view::npos ? accept_language.size() : comma + 1;
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    double q = 1.0;
    if (size_t semi = item.find(';'); semi != std::string_view::npos) {
      std::string_view params = item.substr(semi + 1);
      item = item.substr(0, semi);
      if (size_t qa = params.find("q="); qa != std::string_view::npos) {
        std::string_view v = params.substr(qa + 2);
        q = (v.size() > 0 && v[0] == '1') ? 1.0 : 0.0;
        if (v.size() > 2 && v[0] == '0' && v[1] == '.' && v[2] >= '0' && v[2] <= '9')
          q = (v[2] - '0') / 10.0 +
              (v.size() > 3 && v[3] >= '0' && v[3] <= '9' ? (v[3] - '0') / 100.0 : 0);
      }
    }
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    std::string_view primary = item.substr(0, item.find('-'));
    std::string_view lang;
    if (primary.size() == 2 && (primary[0] | 0x20) == 'f' && (primary[1] | 0x20) == 'r')
      lang = "fr";
    else if (primary.size() == 2 && (primary[0] | 0x20) == 'e' && (primary[1] | 0x20) == 'n')
      lang = "en";
    if (!lang.empty() && q > best_q && q > 0) {
      best_q = q;
      best = lang;
    }
  }
  return best;
}

std::string url_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~' || c == '/') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

bool url_decode(std::string_view s, std::string& out) {
  out.clear();
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%') {
      if (i + 2 >= s.size()) return false;
      int hi = hex(s[i + 1]), lo = hex(s[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += s[i];
    }
  }
  return true;
}

ShortAnswer short_answer(bool json, std::string_view request_id, bool under_attack) {
  std::string_view why = under_attack
                             ? "The site is under attack; open this page in a web browser to pass "
                               "a check."
                             : "This resource needs a browser check; open it in a web browser.";
  if (json) {
    return {"application/json",
            fmt::format(R"({{"error":"challenge_required","message":"{}","request_id":"{}"}})", why,
                        request_id) +
                "\n"};
  }
  return {"text/plain; charset=utf-8",
          fmt::format("challenge required: {}\nrequest id: {}\n", why, request_id)};
}

std::string render_page(const PageParams& p) {
  const Texts& t = p.lang == "fr" ? kFrench : kEnglish;
  std::string brand = escape_html(p.brand_name);
  std::string nojs_url =
      fmt::format("{}?nojs={}&r={}", kChallengePath, p.challenge, url_encode(p.return_to));
  std::string nojs_url_html = escape_html(nojs_url);
  std::string delay = std::to_string(p.no_js_delay);
  std::string refresh = std::to_string(p.no_js_delay + 1);
  std::string html;
  html.reserve(12000);
  html += fmt::format(
      "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\n"
      "<title>{} · {}</title>\n",
      p.lang, escape_html(p.mode == PageMode::kCookiesBlocked ? t.cookies_title : t.title), brand);
  bool offer_nojs = p.mode == PageMode::kNoJs || (p.mode == PageMode::kProofOfWork && p.no_js);
  if (p.mode == PageMode::kNoJs) {
    html += fmt::format("<meta http-equiv=\"refresh\" content=\"{};url={}\">\n", refresh,
                        nojs_url_html);
  } else if (offer_nojs) {
    html +=
        fmt::format("<noscript><meta http-equiv=\"refresh\" content=\"{};url={}\"></noscript>\n",
                    refresh, nojs_url_html);
  }
  html += fmt::format("<style nonce=\"{}\">{}</style>\n</head>\n<body>\n", p.nonce,
                      replace(kStyle, "{color}", p.brand_color));
  html += fmt::format("<main>\n<p class=\"brand\">{}</p>\n", brand);

  auto nojs_form = [&] {
    return fmt::format(
        "<form method=\"get\" action=\"{}\"><input type=\"hidden\" name=\"nojs\" value=\"{}\">"
        "<input type=\"hidden\" name=\"r\" value=\"{}\"><button type=\"submit\">{}</button>"
        "</form>\n",
        kChallengePath, p.challenge, escape_html(p.return_to), t.button);
  };

  if (p.mode == PageMode::kCookiesBlocked) {
    html += fmt::format("<h1>{}</h1>\n<p role=\"alert\">{}</p>\n", t.cookies_title, t.cookies_text);
    html += fmt::format("<p><a class=\"button\" href=\"{}\">{}</a></p>\n", escape_html(p.return_to),
                        t.retry);
  } else if (p.mode == PageMode::kNoJs) {
    html += fmt::format("<h1>{}</h1>\n<p>{}</p>\n", t.title, replace(t.lead, "{brand}", brand));
    html += fmt::format("<p role=\"status\" aria-live=\"polite\">{}</p>\n",
                        replace(t.no_js_only, "{s}", delay));
    html += nojs_form();
  } else {
    std::string step = replace(replace(t.step, "{k}", "0"), "{n}", std::to_string(p.puzzles));
    html += fmt::format(
        "<h1>{}</h1>\n<p>{}</p>\n<div id=\"rp\" data-c=\"{}\" data-b=\"{}\" data-n=\"{}\" "
        "data-step=\"{}\" data-done=\"{}\">\n<div class=\"spin\" aria-hidden=\"true\"></div>\n"
        "<p id=\"rp-status\" role=\"status\" aria-live=\"polite\">{}</p>\n</div>\n",
        t.title, replace(t.lead, "{brand}", brand), p.challenge, p.bits, p.puzzles,
        escape_html(t.step), escape_html(t.done), step);
    html += fmt::format(
        "<form id=\"rp-form\" method=\"post\" action=\"{}\"><input type=\"hidden\" name=\"c\" "
        "value=\"{}\"><input type=\"hidden\" name=\"s\" id=\"rp-s\" value=\"\"><input "
        "type=\"hidden\" name=\"r\" value=\"{}\"></form>\n",
        kChallengePath, p.challenge, escape_html(p.return_to));
    if (offer_nojs) {
      html += fmt::format("<noscript>\n<p>{}</p>\n{}</noscript>\n", replace(t.no_js, "{s}", delay),
                          nojs_form());
    } else {
      html += fmt::format("<noscript><p role=\"alert\">{}</p></noscript>\n", t.js_required);
    }
    html += fmt::format("<script nonce=\"{}\">\n{}{}</script>\n", p.nonce, kSolver, kMain);
  }
  html += fmt::format("<p class=\"rid\">{}: <code>{}</code></p>\n</main>\n</body>\n</html>\n",
                      t.request_id, escape_html(p.request_id));
  return html;
}

}  // namespace rampart::modules::bot
