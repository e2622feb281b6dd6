// After django-otp-webauthn's script has registered a passkey, go on to the page the container names
// (new recovery codes, if any were made, else back to where the person was).
document.addEventListener("otp_webauthn.register_complete", function (event) {
  var container = event.target.closest("[data-passkey-done]");
  window.location.assign((container && container.dataset.passkeyDone) || "/accounts/security/");
});
