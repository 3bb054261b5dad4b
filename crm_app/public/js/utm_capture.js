// Keeps the UTM values of the visitor's first landing in this browser tab (sessionStorage), so a lead form
// reached after a few pages still knows which campaign brought the visitor. Values of later URLs in the
// same visit do not replace them (first touch). The server normalises whatever arrives.
(function () {
	const KEYS = ["utm_source", "utm_medium", "utm_campaign", "utm_content"];
	const STORE = "crm_app:utm";
	try {
		if (window.sessionStorage.getItem(STORE)) return;
		const params = new URLSearchParams(window.location.search);
		const found = {};
		KEYS.forEach((key) => {
			const value = params.get(key);
			if (value) found[key] = value.slice(0, 200);
		});
		if (Object.keys(found).length) window.sessionStorage.setItem(STORE, JSON.stringify(found));
	} catch (e) {
		// storage disabled (private mode, cookies blocked): the form reads its own URL instead
	}
})();
